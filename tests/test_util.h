// Helpers shared by the tests.
#pragma once

#include <string>

namespace lieq::testing {

// ../shared as configured (or $LIEQ_SHARED_DIR). Fails the calling test with a clear message when the
// folder is missing: tests that need the data must never pass silently without it.
std::string SharedDir();

// The repository root (where models/ lives), fixed at configure time.
std::string RepoDir();

// Path to the built `lieq` executable (or $LIEQ_BINARY).
std::string LieqBinary();

// A fresh, empty temporary directory, removed at process exit.
std::string TempDir();

// Runs a shell command; returns its exit status and fills `output` with stdout+stderr.
int RunCommand(const std::string& command, std::string* output);

}  // namespace lieq::testing
