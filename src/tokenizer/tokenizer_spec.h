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

// tokenizer.json's matching flags of one added token. GGUF stores none, so a token without an
// entry matches exactly its text wherever it occurs.
struct AddedTokenFlags {
  int32_t id = -1;
  bool lstrip = false;       // the match also swallows whitespace before the token
  bool rstrip = false;       // ... and after it
  bool single_word = false;  // matches only when not inside a word
};

struct TokenizerSpec {
  enum class Kind {
    kByteLevelBpe,      // GPT-2 style byte-level BPE (Qwen2/3, Llama-3); GGUF "gpt2"
    kSentencePieceBpe,  // Llama-2 style BPE with byte fallback; GGUF "llama"
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
  bool nfc = false;              // NFC normaliser (Qwen)
  bool add_space_prefix = true;  // kSentencePieceBpe: "▁" before the text (GGUF add_space_prefix)
  std::vector<AddedTokenFlags> added_token_flags;  // only tokens with a flag set
  std::string chat_template;
};

}  // namespace lieq
