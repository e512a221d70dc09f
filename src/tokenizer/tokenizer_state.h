// Tokenizer's internals, shared by tokenizer.cc (building, decoding) and tokenizer_encode.cc.
// Not part of the public API.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe_ranks.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/token_index.h"
#include "tokenizer/tokenizer.h"

namespace lieq {

struct Tokenizer::State {
  TokenizerSpec spec;
  TokenIndex index;                 // token text -> id
  BpeRanks ranks;                   // the spec's merges
  std::optional<PreTokenizer> pre;  // byte-level BPE only
  AddedTokenMatcher added;          // control, unknown and user-defined tokens
  // Byte-level: the token of each byte's alphabet character. SentencePiece: the "<0xHH>"
  // byte-fallback token, or -1.
  std::array<int32_t, 256> byte_ids{};
  // Llama-3: a pre-token that is itself a vocabulary token is used whole, without merging
  // (tokenizer.json's ignore_merges; llama.cpp ties it to the "llama-bpe" pre-tokenizer).
  bool ignore_merges = false;
  // SentencePiece without merges (GGUF "llama"): merge by token score instead of rank.
  bool merge_by_score = false;
};

}  // namespace lieq
