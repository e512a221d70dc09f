// A tokenizer as plain data: what tokenizer.json and GGUF's tokenizer.ggml.* metadata both
// describe. Loaders produce it, the GGUF writer stores it, Tokenizer is built from it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lieq {

// GGUF token types (llama.cpp's llama_token_type).
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

struct TokenizerSpec {
  enum class Kind {
    kByteLevelBpe,       // GPT-2 style byte-level BPE (Qwen2/3, Llama-3); GGUF "gpt2"
    kSentencePieceBpe,   // Llama-2 style BPE with byte fallback; GGUF "llama"
  };
  Kind kind = Kind::kByteLevelBpe;
  std::string pre;                  // pre-tokenizer in llama.cpp's names: "qwen2", "llama-bpe", ...
  std::vector<std::string> tokens;  // id -> token text (byte-level alphabet for kByteLevelBpe)
  std::vector<TokenType> types;     // id -> type
  std::vector<float> scores;        // id -> score (kSentencePieceBpe), else empty
  std::vector<std::string> merges;  // "left right", highest priority first
  int32_t bos_id = -1;
  int32_t eos_id = -1;
  int32_t unk_id = -1;
  int32_t pad_id = -1;
  bool add_bos = false;
  bool add_eos = false;
  bool nfc = false;                 // NFC normaliser (Qwen)
  std::string chat_template;
};

}  // namespace lieq
