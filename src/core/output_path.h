// Where an output may go, checked before any work: the parent folder exists and accepts new
// entries, the target is absent or something lieq may replace, and (when the size is known) the
// file system has room. Also cleans up what an interrupted write left beside a target.
//
// Rules (docs/RELIABILITY.md, "Outputs"):
// - A file output replaces only a regular file, and only with --force. A device, FIFO, socket,
//   symbolic link or folder is refused even with --force.
// - A folder output replaces only a folder lieq wrote, recognised by the manifest
//   (kManifestName) lieq writes into every output folder, and only with --force; a folder with
//   any entry the manifest does not list is refused, naming those entries. An empty folder
//   counts as absent.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"

namespace lieq {

enum class OutputKind { kFile, kFolder };

// The manifest lieq writes last into every output folder: {"written_by", "command", "files"}.
inline constexpr char kManifestName[] = ".lieq-manifest.json";

// `expected_bytes` > 0: refused when the file system holding the target has less room.
Status CheckOutputPath(const std::string& path, OutputKind kind, bool force,
                       uint64_t expected_bytes = 0);

// Entries of `folder` its manifest does not list (all of them when it has none), sorted.
std::vector<std::string> ForeignEntries(const std::string& folder);

// Leftovers of an interrupted write of `path`, whose writer process no longer runs:
// "<path>.tmp-<pid>" (a temporary file or folder) is removed; "<path>.old-<pid>" (the previous
// output moved aside during a folder swap) is moved back to `path` when `path` is missing,
// otherwise removed. `note` receives one line per action. Entries of live processes stay.
void RecoverInterruptedOutputs(const std::string& path,
                               const std::function<void(const std::string&)>& note = nullptr);

// "out/" and "out" name the same target: `path` without trailing slashes ("/" stays).
std::string StripTrailingSlashes(std::string path);

// "<path>.tmp-<pid of this process>", the name temporary outputs are built under.
std::string TempOutputPath(const std::string& path);

// "context: <what errno says>", lower case ("out.gguf: no space left on device").
Status ErrnoError(const std::string& context, int err);

// Test hook: when the environment variable LIEQ_TEST_KILL_AT equals `step`, the process
// SIGKILLs itself (tests/reliability/kill_test.cc kills a swap between each of its steps).
void KillPointForTests(const char* step);

}  // namespace lieq
