// A folder output (quantized model, random model, diagnostics) is built complete beside its
// destination, as "<dest>.tmp-<pid>", and swapped into place in one step:
//
//   1. every file is written into the staging folder, then the manifest (kManifestName) last;
//   2. the destination is checked again (CheckOutputPath: absent, empty, or a folder lieq wrote
//      and --force given);
//   3. absent: rename(staging, dest). Present: renameat2(RENAME_EXCHANGE) swaps the two
//      atomically, or where the file system lacks it, dest -> "<dest>.old-<pid>" and
//      staging -> dest;
//   4. the previous output (now under the staging or .old name) is removed.
//
// A process killed at any point leaves either the old or the new complete folder at `dest`,
// or (between the two renames of the fallback) neither, with "<dest>.old-<pid>" beside it; the
// next command writing `dest` restores it (RecoverInterruptedOutputs) and removes the rest.
#pragma once

#include <string>

#include "core/status.h"

namespace lieq {

class FolderOutput {
 public:
  // Checks `dest` (CheckOutputPath, kFolder) and creates the empty staging folder.
  static Result<FolderOutput> Begin(const std::string& dest, bool force);

  FolderOutput(FolderOutput&& other) noexcept;
  FolderOutput& operator=(FolderOutput&&) = delete;
  FolderOutput(const FolderOutput&) = delete;
  ~FolderOutput();  // removes the staging folder unless committed

  const std::string& dest() const { return dest_; }
  const std::string& staging() const { return staging_; }
  // staging()/name: where a file of the output is written.
  std::string Path(const std::string& name) const;

  // Writes the manifest (every file now in the staging folder, `command` and lieq's version)
  // and moves the folder into place as above.
  Status Commit(const std::string& command);

 private:
  FolderOutput(std::string dest, std::string staging, bool force)
      : dest_(std::move(dest)), staging_(std::move(staging)), force_(force) {}
  std::string dest_;
  std::string staging_;
  bool force_ = false;
  bool done_ = false;
};

// lieq's version string, recorded in manifests.
inline constexpr char kLieqVersion[] = "lieq 0.1.0";

}  // namespace lieq
