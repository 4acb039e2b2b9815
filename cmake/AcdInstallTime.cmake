# Runs at install time (install(SCRIPT) in AcdInstall.cmake), when the prefix
# is known: `cmake --install --prefix P` or CPack (prefix /usr, DESTDIR its
# staging directory). Installs the config file and the systemd unit, whose
# paths depend on that prefix. Set by AcdInstall.cmake: ACD_SOURCE_DIR and
# the GNUInstallDirs dirs ACD_BINDIR, ACD_SYSCONFDIR, ACD_DOCDIR.

string(REGEX REPLACE "/+$" "" prefix "${CMAKE_INSTALL_PREFIX}")
function(acd_full_dir out dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "${prefix}/${dir}" PARENT_SCOPE)
  endif()
endfunction()

acd_full_dir(bindir "${ACD_BINDIR}")
acd_full_dir(docdir "${ACD_DOCDIR}")
acd_full_dir(unitdir "lib/systemd/system")
# GNUInstallDirs' rule: the prefixes /usr and / keep their configuration in
# /etc, the others under the prefix.
if(NOT IS_ABSOLUTE "${ACD_SYSCONFDIR}" AND (prefix STREQUAL "/usr" OR prefix STREQUAL ""))
  set(sysconfdir "/${ACD_SYSCONFDIR}")
else()
  acd_full_dir(sysconfdir "${ACD_SYSCONFDIR}")
endif()

# The config: an operator's edited file is kept (the Debian package leaves
# that to dpkg, which knows it as a conffile; its staging dir never has one).
set(config "$ENV{DESTDIR}${sysconfdir}/acd/acd.yaml")
file(READ "${ACD_SOURCE_DIR}/config/acd.yaml" shipped)
if(EXISTS "${config}")
  file(READ "${config}" existing)
endif()
if(EXISTS "${config}" AND NOT existing STREQUAL shipped)
  message(STATUS "Kept: ${config} (edited; the shipped one is ${docdir}/examples/acd.yaml)")
else()
  file(INSTALL DESTINATION "${sysconfdir}/acd" TYPE FILE FILES "${ACD_SOURCE_DIR}/config/acd.yaml")
endif()

# The unit, pointing at the installed acdd, config and docs. systemd's
# ConfigurationDirectory= is always under /etc, so another sysconfdir is
# named in ExecStart.
file(READ "${ACD_SOURCE_DIR}/deploy/acdd.service" unit)
string(REPLACE "ExecStart=/usr/bin/acdd " "ExecStart=${bindir}/acdd " unit "${unit}")
if(NOT sysconfdir STREQUAL "/etc")
  string(REPLACE [[--config ${CONFIGURATION_DIRECTORY}/acd.yaml]] "--config ${sysconfdir}/acd/acd.yaml"
                 unit "${unit}")
endif()
string(REPLACE "file:///usr/share/doc/acd/" "file://${docdir}/" unit "${unit}")
set(unit_file "$ENV{DESTDIR}${unitdir}/acdd.service")
message(STATUS "Installing: ${unit_file}")
file(WRITE "${unit_file}" "${unit}")
file(CHMOD "${unit_file}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${unit_file}")
