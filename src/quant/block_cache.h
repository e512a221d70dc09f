// Resume cache of `lieq quantize --cache-dir DIR` (docs/RELIABILITY.md, "Interrupted runs").
// QuantizeModel stores every finished block as one file, DIR/<key>-block<l>.lqb, written to a
// temporary file and renamed into place, under a key that chains everything the block's result
// depends on (the model's config and weights, the calibration tokens, every setting, the widths
// of blocks 0..l). A rerun with the same inputs loads the block instead of quantizing it again.
//
// File layout (host byte order; a cache is not meant to travel between machines):
//   header  "LIEQBLK1" | u32 version | u32 block | u64 key | u32 linears | u32 vectors |
//           u64 payload bytes | u64 payload hash
//   payload per linear: i32 bits, i32 group size, i64 rows, i64 cols, u64 codes, u64 scales,
//           u64 zeros (counts), then the codes (u8), scales and zeros (FP16);
//           per vector: u64 count, then the floats.
// The GGUF export (quant/gguf_export.h) stores its blocks in ggml types the same way, as
// DIR/<key>-block<l>.lqg with magic "LIEQGGB1" (vectors 0) and per linear:
//           u32 type (DType), i64 rows, i64 cols, u64 bytes, then the tensor's bytes.
// A file whose header, hash or sizes do not match is reported and ignored, never trusted.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/hash64.h"
#include "core/status.h"
#include "io/quantized_model.h"
#include "quant/kquant_gptq.h"

namespace lieq {

// The hash of cache keys (shared with `lieq diagnose --cache-dir`).
using CacheHasher = Hash64;

// One block's result: its packed layers, plus the F32 vectors the quantizer
// replaced (AWQ's folded norms and biases; an empty entry for one left as it was).
struct CachedBlock {
  std::vector<PackedLinear> linears;        // kAllProjections order
  std::vector<std::vector<float>> vectors;  // fixed order chosen by the caller
};

// One block of the GGUF export: each linear's ggml tensor bytes (`values` left empty; they
// decode bit-exactly from `data`).
struct CachedGridBlock {
  std::vector<GridQuantizedLinear> linears;  // kAllProjections order
};

// What a file must hold to be accepted.
struct CachedBlockShape {
  int bits = 0;
  int group_size = 0;
  std::vector<std::pair<int64_t, int64_t>> linears;  // rows, cols per linear
  std::vector<int64_t> vector_sizes;                 // each stored vector: 0 or this count
};

class BlockCache {
 public:
  explicit BlockCache(std::string dir) : dir_(std::move(dir)) {}

  Status Open() const;  // creates the folder
  std::string PathFor(int block, uint64_t key, const char* suffix = "lqb") const;

  // true and `out` filled when a valid file is there; false when there is none; an error
  // (naming the file and the problem) when one is there but corrupt or of other shapes.
  Result<bool> Load(int block, uint64_t key, const CachedBlockShape& expect,
                    CachedBlock* out) const;
  Status Store(int block, uint64_t key, const CachedBlock& result) const;

  // The same for the GGUF export's blocks: `expect` gives each linear's type and shape.
  Result<bool> LoadGrid(int block, uint64_t key, const std::vector<GridQuantizedLinear>& expect,
                        CachedGridBlock* out) const;
  Status StoreGrid(int block, uint64_t key, const CachedGridBlock& result) const;

 private:
  std::string dir_;
};

}  // namespace lieq
