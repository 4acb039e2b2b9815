# Small per-target helpers in the spirit of Abseil's absl_cc_library: every target
# gets the same warnings, the same include root, and tests register with CTest.

# acd_cc_library(NAME <target> SRCS ... [HDRS ...] DEPS ... [PRIVATE_DEPS ...])
# DEPS are what the target's headers expose to its users; PRIVATE_DEPS what
# only its sources use, so a layer's users do not inherit them.
function(acd_cc_library)
  cmake_parse_arguments(ACD "" "NAME" "SRCS;HDRS;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${ACD_NAME} STATIC ${ACD_SRCS} ${ACD_HDRS})
  target_include_directories(${ACD_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${ACD_NAME} PUBLIC ${ACD_DEPS} PRIVATE ${ACD_PRIVATE_DEPS})
  target_compile_options(${ACD_NAME} PRIVATE ${ACD_WARNINGS})
endfunction()

# acd_cc_test(NAME <target> SRCS ... DEPS ... [LABELS ...])
function(acd_cc_test)
  cmake_parse_arguments(ACD "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${ACD_NAME} ${ACD_SRCS})
  target_link_libraries(${ACD_NAME} PRIVATE ${ACD_DEPS} GTest::gmock GTest::gtest_main)
  target_compile_options(${ACD_NAME} PRIVATE ${ACD_WARNINGS})
  gtest_discover_tests(${ACD_NAME} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${ACD_LABELS}")
endfunction()
