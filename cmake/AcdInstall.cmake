# Install rules and the Debian package (README.md "Running as a service").
#
#   cmake --install build --prefix /usr/local   # a tree under the prefix
#   cd build && cpack -G DEB                    # acd_<version>_<arch>.deb, prefix /usr
#
# Programs go to bin, docs to share/doc/acd, the systemd unit to
# lib/systemd/system and the sysusers.d file to lib/sysusers.d (under the
# prefix: systemd searches /usr/local/lib too). The config goes to the
# sysconfdir GNUInstallDirs would give the prefix: /etc/acd for /usr,
# PREFIX/etc/acd otherwise.
include(GNUInstallDirs)

install(TARGETS acdd acdctl acd-sim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The same layout as the repository, so README.md's relative links hold.
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES config/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR}/config)
install(FILES config/acd.yaml DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# Not CMAKE_INSTALL_LIBDIR: that is lib/<multiarch> for /usr on Debian, and
# systemd looks in lib only.
install(FILES deploy/acd.sysusers DESTINATION lib/sysusers.d RENAME acd.conf)

# The config file and the unit depend on the prefix, which is known only at
# install time (cmake --install --prefix, or CPack's /usr): a script computes
# them then. Relative dirs are passed as they are, for the same reason.
install(CODE "set(ACD_SOURCE_DIR \"${PROJECT_SOURCE_DIR}\")
set(ACD_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
set(ACD_SYSCONFDIR \"${CMAKE_INSTALL_SYSCONFDIR}\")
set(ACD_DOCDIR \"${CMAKE_INSTALL_DOCDIR}\")")
install(SCRIPT ${CMAKE_CURRENT_LIST_DIR}/AcdInstallTime.cmake)

# The Debian package.
set(ACD_PACKAGE_MAINTAINER "acd maintainers <maintainers@users.noreply.h-seed-ba8d24de.example>"
    CACHE STRING "Maintainer field of the Debian package")
set(ACD_PACKAGE_HOMEPAGE "" CACHE STRING "Homepage field of the Debian package (none when empty)")

set(CPACK_PACKAGE_NAME acd)
set(CPACK_PACKAGE_VENDOR "acd")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "automatic call distribution (ACD) daemon")
# Lines under 80 columns, as dpkg shows them; no ";", which CMake would read as
# a list separator.
string(CONCAT CPACK_PACKAGE_DESCRIPTION
       "acdd puts callers in queues and hands each call to the right agent, by\n"
       "rules, priority, skills and time. Telephony integrators push call events\n"
       "to it over gRPC, agent desktops log in and stream their offers, and admins\n"
       "steer routing with a YAML file that the daemon validates and reloads.\n"
       "Every state change is an event committed to SQLite before it is\n"
       "acknowledged.\n"
       "This package holds acdd and its systemd unit, acdctl (a command-line\n"
       "client for every RPC) and acd-sim (a simulator and load generator).")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${ACD_PACKAGE_MAINTAINER}")
if(ACD_PACKAGE_HOMEPAGE)
  set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${ACD_PACKAGE_HOMEPAGE}")
endif()
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies come from dpkg-shlibdeps (package dpkg-dev); passwd is
# for useradd, which postinst uses where systemd-sysusers is missing.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "sqlite3, prometheus")
# conffiles: dpkg keeps an edited /etc/acd/acd.yaml on upgrade. The scripts
# create the acd user and reload systemd; none starts acdd.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/deploy/debian/conffiles ${PROJECT_SOURCE_DIR}/deploy/debian/postinst
    ${PROJECT_SOURCE_DIR}/deploy/debian/prerm ${PROJECT_SOURCE_DIR}/deploy/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
