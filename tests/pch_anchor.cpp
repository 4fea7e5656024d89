// Only the owner of the tests' precompiled header (tests/CMakeLists.txt): no code.
