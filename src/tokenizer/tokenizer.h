// Text <-> token ids for byte-level BPE (Qwen2/Qwen3, Llama-3) and SentencePiece-style BPE
// (Llama-2) vocabularies, built from a TokenizerSpec so that tokenizer.json and GGUF files share
// one implementation.
//
// Encoding: added tokens (special and user-defined) are found in the raw text first (longest
// match); each piece of text between them is normalised (NFC for Qwen; "▁" for spaces and an
// optional "▁" prefix for SentencePiece), pre-tokenized with the named regex (byte-level only)
// and merged by BPE merge rank (or by token score for SentencePiece files without merges).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "tokenizer/tokenizer_spec.h"

namespace lieq {

class Tokenizer {
 public:
  // Validates `spec` (ids in range, merges naming known tokens, a known pre-tokenizer, ...)
  // and builds the lookup tables. Errors start with "tokenizer:"; callers add the file name.
  static Result<Tokenizer> Create(TokenizerSpec spec);

  // Token ids of UTF-8 `text`; fails on invalid UTF-8, naming the byte offset. `add_special`
  // adds BOS/EOS where the spec asks for them. `parse_special`: control tokens written in the
  // text (e.g. "<|im_start|>") become those tokens, as Hugging Face does by default; when false
  // their text is tokenized as plain text (user-defined added tokens still match).
  Result<std::vector<int32_t>> Encode(std::string_view text, bool add_special,
                                      bool parse_special = true) const;

  // The text of `ids`. Control tokens are written as their text unless `skip_special`; ids
  // outside the vocabulary (a model may have more rows than the tokenizer has tokens) produce
  // nothing. Decode(Encode(s, false)) == s for valid UTF-8 (NFC-normalised where the spec asks;
  // for SentencePiece when s has no added tokens).
  std::string Decode(std::span<const int32_t> ids, bool skip_special = false) const;

  // The bytes of one token, for streaming output: may be part of a UTF-8 character, and keeps
  // a SentencePiece token's leading space. Empty for ids outside the vocabulary.
  std::string TokenPiece(int32_t id) const;

  // The id of the token whose (vocabulary) text is `text`, or -1.
  int32_t TokenId(std::string_view text) const;

  int32_t vocab_size() const;
  int32_t bos_id() const { return spec().bos_id; }
  int32_t eos_id() const { return spec().eos_id; }
  bool add_bos() const { return spec().add_bos && spec().bos_id >= 0; }
  const TokenizerSpec& spec() const;

  // The built tables (tokenizer_state.h); public only so that the implementation files' free
  // helpers can name it.
  struct State;

 private:
  explicit Tokenizer(std::shared_ptr<const State> state) : state_(std::move(state)) {}

  std::shared_ptr<const State> state_;  // immutable, so copies and threads share it
};

}  // namespace lieq
