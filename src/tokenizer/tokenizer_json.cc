#include "tokenizer/tokenizer_json.h"

#include <filesystem>
#include <optional>

#include "core/mapped_file.h"
#include "tokenizer/json_util.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/token_index.h"

namespace lieq {
namespace {

using json_util::Json;
using json_util::Member;
using json_util::OptBool;
using json_util::OptString;

// Far beyond any real vocabulary (~256k); bounds what a hostile file can make us allocate.
constexpr int64_t kMaxTokenId = (int64_t{1} << 24) - 1;
// Ids no token uses, beyond as many as are used, that a vocabulary may leave unused.
constexpr int64_t kMaxUnusedIds = 65536;
constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // "▁" (U+2581), SentencePiece's space

// What the normalizer section asks for.
struct Normalization {
  bool nfc = false;
  bool prepend_space_mark = false;  // Prepend("▁")
  bool space_to_mark = false;       // Replace(" " -> "▁")
};

// What the pre_tokenizer section asks for.
struct PreTokenization {
  std::string split_regex;        // Split(Regex), Isolated
  bool byte_level = false;        // ByteLevel present
  bool byte_level_regex = false;  // ... with use_regex (GPT-2's built-in regex)
  bool metaspace = false;         // Metaspace("▁") without splitting
  bool metaspace_prefix = false;  // ... that prepends "▁"
};

Result<std::string> TypeOf(const Json& section, const std::string& file, const std::string& where) {
  LIEQ_ASSIGN_OR_RETURN(std::optional<std::string> type, OptString(section, "type", file, where));
  if (!type) return DataLoss(file + ": " + where + " has no \"type\"");
  return *type;
}

// A JSON array member, or kDataLoss when it is missing or not an array.
Result<const Json*> ArrayMember(const Json& object, const char* key, const std::string& file,
                                const std::string& where) {
  const Json* v = Member(object, key);
  if (v == nullptr || !v->is_array()) {
    return DataLoss(file + ": " + json_util::PathOf(where, key) + " is missing or not an array");
  }
  return v;
}

Status ReadNormalizer(const Json& n, const std::string& file, const std::string& where,
                      Normalization* out) {
  LIEQ_ASSIGN_OR_RETURN(std::string type, TypeOf(n, file, where));
  if (type == "Sequence") {
    LIEQ_ASSIGN_OR_RETURN(const Json* list, ArrayMember(n, "normalizers", file, where));
    for (size_t i = 0; i < list->size(); ++i) {
      LIEQ_RETURN_IF_ERROR(
          ReadNormalizer((*list)[i], file, where + ".normalizers[" + std::to_string(i) + "]", out));
    }
    return Status::Ok();
  }
  if (type == "NFC") {
    out->nfc = true;
    return Status::Ok();
  }
  if (type == "Prepend") {
    LIEQ_ASSIGN_OR_RETURN(std::optional<std::string> prepend, OptString(n, "prepend", file, where));
    if (prepend == std::string(kSpaceMark)) {
      out->prepend_space_mark = true;
      return Status::Ok();
    }
  }
  if (type == "Replace") {
    const Json* pattern = Member(n, "pattern");
    LIEQ_ASSIGN_OR_RETURN(std::optional<std::string> content, OptString(n, "content", file, where));
    if (pattern != nullptr && Member(*pattern, "String") != nullptr &&
        (*pattern)["String"] == " " && content == std::string(kSpaceMark)) {
      out->space_to_mark = true;
      return Status::Ok();
    }
  }
  return Unimplemented(file + ": " + where + ": normalizer " + n.dump() + " is not supported");
}

Status ReadPreTokenizer(const Json& p, const std::string& file, const std::string& where,
                        PreTokenization* out) {
  LIEQ_ASSIGN_OR_RETURN(std::string type, TypeOf(p, file, where));
  if (type == "Sequence") {
    LIEQ_ASSIGN_OR_RETURN(const Json* list, ArrayMember(p, "pretokenizers", file, where));
    for (size_t i = 0; i < list->size(); ++i) {
      LIEQ_RETURN_IF_ERROR(ReadPreTokenizer(
          (*list)[i], file, where + ".pretokenizers[" + std::to_string(i) + "]", out));
    }
    return Status::Ok();
  }
  if (type == "Split") {
    const Json* pattern = Member(p, "pattern");
    std::optional<std::string> regex;
    if (pattern != nullptr) {
      LIEQ_ASSIGN_OR_RETURN(regex, OptString(*pattern, "Regex", file, where + ".pattern"));
    }
    LIEQ_ASSIGN_OR_RETURN(std::optional<std::string> behavior,
                          OptString(p, "behavior", file, where));
    LIEQ_ASSIGN_OR_RETURN(std::optional<bool> invert, OptBool(p, "invert", file, where));
    if (!regex || behavior != "Isolated" || invert.value_or(false) || !out->split_regex.empty()) {
      return Unimplemented(file + ": " + where + ": only one Split with a Regex pattern, " +
                           "\"Isolated\" behaviour and no inversion is supported");
    }
    out->split_regex = *regex;
    return Status::Ok();
  }
  if (type == "ByteLevel") {
    LIEQ_ASSIGN_OR_RETURN(std::optional<bool> prefix, OptBool(p, "add_prefix_space", file, where));
    LIEQ_ASSIGN_OR_RETURN(std::optional<bool> use_regex, OptBool(p, "use_regex", file, where));
    if (prefix.value_or(false)) {
      return Unimplemented(file + ": " + where + ": ByteLevel add_prefix_space is not supported");
    }
    out->byte_level = true;
    out->byte_level_regex = use_regex.value_or(true);  // Hugging Face's default
    return Status::Ok();
  }
  if (type == "Metaspace") {
    LIEQ_ASSIGN_OR_RETURN(std::optional<std::string> replacement,
                          OptString(p, "replacement", file, where));
    LIEQ_ASSIGN_OR_RETURN(std::optional<std::string> scheme,
                          OptString(p, "prepend_scheme", file, where));
    LIEQ_ASSIGN_OR_RETURN(std::optional<bool> prefix, OptBool(p, "add_prefix_space", file, where));
    LIEQ_ASSIGN_OR_RETURN(std::optional<bool> split, OptBool(p, "split", file, where));
    if (replacement != std::string(kSpaceMark) || split.value_or(true)) {
      return Unimplemented(
          file + ": " + where +
          ": only a Metaspace with replacement \"▁\" and split false is supported");
    }
    out->metaspace = true;
    out->metaspace_prefix = scheme ? *scheme != "never" : prefix.value_or(true);
    return Status::Ok();
  }
  return Unimplemented(file + ": " + where + ": pre-tokenizer '" + type + "' is not supported");
}

// Reads model.vocab and added_tokens into spec->tokens/types/added_token_flags.
Status ReadTokens(const Json& root, const Json& model, const std::string& file,
                  TokenizerSpec* spec) {
  const Json* vocab = Member(model, "vocab");
  if (vocab == nullptr || !vocab->is_object()) {
    return DataLoss(file + ": model.vocab is missing or not an object");
  }
  std::vector<std::pair<int64_t, std::string>> entries;
  std::vector<std::pair<int64_t, const Json*>> added;
  entries.reserve(vocab->size());
  for (auto it = vocab->begin(); it != vocab->end(); ++it) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > kMaxTokenId) {
      return DataLoss(file + ": model.vocab: token '" + it.key() + "' has id " + it->dump() +
                      ", not an integer in 0.." + std::to_string(kMaxTokenId));
    }
    entries.emplace_back(it->get<int64_t>(), it.key());
  }
  if (const Json* list = Member(root, "added_tokens")) {
    if (!list->is_array()) return DataLoss(file + ": added_tokens is not an array");
    for (size_t i = 0; i < list->size(); ++i) {
      const Json& t = (*list)[i];
      const std::string where = "added_tokens[" + std::to_string(i) + "]";
      const Json* id = Member(t, "id");
      if (id == nullptr || !id->is_number_integer() || id->get<int64_t>() < 0 ||
          id->get<int64_t>() > kMaxTokenId) {
        return DataLoss(file + ": " + where + ".id is missing or not an integer in 0.." +
                        std::to_string(kMaxTokenId));
      }
      LIEQ_ASSIGN_OR_RETURN(std::optional<std::string> content,
                            OptString(t, "content", file, where));
      if (!content) return DataLoss(file + ": " + where + " has no content");
      added.emplace_back(id->get<int64_t>(), &t);
    }
  }

  int64_t size = 0;
  for (const auto& e : entries) size = std::max(size, e.first + 1);
  for (const auto& a : added) size = std::max(size, a.first + 1);
  // Unused ids become placeholder tokens: a forged file naming only id 16777215 must not make
  // 16M of them. Real vocabularies are dense (a few reserved ids at most).
  const auto defined = static_cast<int64_t>(entries.size() + added.size());
  if (size > 2 * defined + kMaxUnusedIds) {
    return DataLoss(file + ": token ids go up to " + std::to_string(size - 1) + " but only " +
                    std::to_string(defined) + " tokens are defined");
  }
  spec->tokens.assign(size, {});
  spec->types.assign(size, TokenType::kUnused);
  for (auto& [id, text] : entries) {
    if (spec->types[id] != TokenType::kUnused) {
      return DataLoss(file + ": model.vocab: tokens '" + spec->tokens[id] + "' and '" + text +
                      "' share id " + std::to_string(id));
    }
    spec->tokens[id] = std::move(text);
    spec->types[id] = TokenType::kNormal;
  }
  for (size_t i = 0; i < added.size(); ++i) {
    const auto& [id, t] = added[i];
    const std::string where = "added_tokens[" + std::to_string(i) + "]";
    LIEQ_ASSIGN_OR_RETURN(std::optional<bool> special, OptBool(*t, "special", file, where));
    AddedTokenFlags flags;
    flags.id = static_cast<int32_t>(id);
    LIEQ_ASSIGN_OR_RETURN(std::optional<bool> lstrip, OptBool(*t, "lstrip", file, where));
    LIEQ_ASSIGN_OR_RETURN(std::optional<bool> rstrip, OptBool(*t, "rstrip", file, where));
    LIEQ_ASSIGN_OR_RETURN(std::optional<bool> single, OptBool(*t, "single_word", file, where));
    flags.lstrip = lstrip.value_or(false);
    flags.rstrip = rstrip.value_or(false);
    flags.single_word = single.value_or(false);
    if (flags.lstrip || flags.rstrip || flags.single_word) spec->added_token_flags.push_back(flags);
    // An added token may repeat a vocabulary entry (Llama-2's <unk>, <s>, </s>); its content
    // is the text to match and to print either way.
    spec->tokens[id] = (*t)["content"].get<std::string>();
    spec->types[id] = special.value_or(false) ? TokenType::kControl : TokenType::kUserDefined;
  }
  // Ids nobody uses get a placeholder, as llama.cpp's converter writes them.
  for (int64_t id = 0; id < size; ++id) {
    if (spec->types[id] == TokenType::kUnused) spec->tokens[id] = "[PAD" + std::to_string(id) + "]";
  }
  return Status::Ok();
}

// Reads model.merges into spec->merges ("left right"), checking every token they name.
Status ReadMerges(const Json& model, const std::string& file, const TokenIndex& index,
                  TokenizerSpec* spec) {
  const Json* merges = Member(model, "merges");
  if (merges == nullptr) return Status::Ok();
  if (!merges->is_array()) return DataLoss(file + ": model.merges is not an array");
  spec->merges.reserve(merges->size());
  for (size_t i = 0; i < merges->size(); ++i) {
    const Json& m = (*merges)[i];
    const std::string where = "model.merges[" + std::to_string(i) + "]";
    std::string left, right;
    if (m.is_string()) {
      const std::string& s = m.get_ref<const std::string&>();
      const size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) {
        return DataLoss(file + ": " + where + " ('" + s + "') is not two tokens joined by a space");
      }
      left = s.substr(0, space);
      right = s.substr(space + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      left = m[0].get<std::string>();
      right = m[1].get<std::string>();
    } else {
      return DataLoss(file + ": " + where + " is neither \"left right\" nor [left, right]");
    }
    for (const std::string* part : {&left, &right}) {
      if (index.Find(*part) < 0) {
        return DataLoss(file + ": " + where + " names '" + *part +
                        "', which is not in the vocabulary");
      }
    }
    if (index.Find(left + right) < 0) {
      return DataLoss(file + ": " + where + ": the merged token '" + left + right +
                      "' is not in the vocabulary");
    }
    spec->merges.push_back(left + " " + right);
  }
  return Status::Ok();
}

// BOS/EOS from a TemplateProcessing post-processor ("<s> $A" adds BOS, "$A </s>" adds EOS).
Status ReadPostProcessor(const Json& p, const std::string& file, const std::string& where,
                         const TokenIndex& index, TokenizerSpec* spec) {
  LIEQ_ASSIGN_OR_RETURN(std::string type, TypeOf(p, file, where));
  if (type == "Sequence") {
    LIEQ_ASSIGN_OR_RETURN(const Json* list, ArrayMember(p, "processors", file, where));
    for (size_t i = 0; i < list->size(); ++i) {
      LIEQ_RETURN_IF_ERROR(ReadPostProcessor(
          (*list)[i], file, where + ".processors[" + std::to_string(i) + "]", index, spec));
    }
    return Status::Ok();
  }
  if (type != "TemplateProcessing") return Status::Ok();  // ByteLevel etc. change no ids
  LIEQ_ASSIGN_OR_RETURN(const Json* single, ArrayMember(p, "single", file, where));
  // The id of item `i` if it is a special token, else -1.
  const auto special_at = [&](size_t i) -> Result<int32_t> {
    const Json* st = Member((*single)[i], "SpecialToken");
    if (st == nullptr) return -1;
    LIEQ_ASSIGN_OR_RETURN(std::optional<std::string> name,
                          OptString(*st, "id", file, where + ".single"));
    const int32_t id = name ? index.Find(*name) : -1;
    if (id < 0) {
      return DataLoss(file + ": " + where + ".single names special token '" + name.value_or("") +
                      "', which is not in the vocabulary");
    }
    return id;
  };
  if (single->empty()) return Status::Ok();
  LIEQ_ASSIGN_OR_RETURN(int32_t first, special_at(0));
  if (first >= 0) {
    spec->add_bos = true;
    spec->bos_id = first;
  }
  if (single->size() > 1) {
    LIEQ_ASSIGN_OR_RETURN(int32_t last, special_at(single->size() - 1));
    if (last >= 0) {
      spec->add_eos = true;
      spec->eos_id = last;
    }
  }
  return Status::Ok();
}

// A special-token entry of tokenizer_config.json: "text", {"content": "text"} or null.
Result<std::optional<std::string>> ConfigToken(const Json& config, const char* key,
                                               const std::string& file) {
  const Json* v = Member(config, key);
  if (v == nullptr) return std::optional<std::string>();
  if (v->is_string()) return std::optional<std::string>(v->get<std::string>());
  if (v->is_object()) {
    LIEQ_ASSIGN_OR_RETURN(std::optional<std::string> content, OptString(*v, "content", file, key));
    if (content) return content;
  }
  return DataLoss(file + ": " + key + " is neither a string nor {\"content\": ...}");
}

Status ApplyConfig(const Json& config, const std::string& file, const TokenIndex& index,
                   TokenizerSpec* spec) {
  if (!config.is_object()) return DataLoss(file + ": the top level is not a JSON object");
  LIEQ_ASSIGN_OR_RETURN(std::optional<bool> add_bos, OptBool(config, "add_bos_token", file, ""));
  LIEQ_ASSIGN_OR_RETURN(std::optional<bool> add_eos, OptBool(config, "add_eos_token", file, ""));
  if (add_bos) spec->add_bos = *add_bos;
  if (add_eos) spec->add_eos = *add_eos;
  const std::pair<const char*, int32_t*> ids[] = {{"bos_token", &spec->bos_id},
                                                  {"eos_token", &spec->eos_id},
                                                  {"pad_token", &spec->pad_id},
                                                  {"unk_token", &spec->unk_id}};
  for (const auto& [key, id] : ids) {
    LIEQ_ASSIGN_OR_RETURN(std::optional<std::string> text, ConfigToken(config, key, file));
    if (!text) continue;
    *id = index.Find(*text);
    if (*id < 0) {
      return DataLoss(file + ": " + key + " '" + *text + "' is not in the vocabulary");
    }
  }
  if (const Json* t = Member(config, "chat_template")) {
    if (t->is_string()) {
      spec->chat_template = t->get<std::string>();
    } else if (t->is_array()) {
      // Named templates: [{"name": "default", "template": "..."}, ...]; take "default".
      for (const Json& entry : *t) {
        LIEQ_ASSIGN_OR_RETURN(std::optional<std::string> name,
                              OptString(entry, "name", file, "chat_template[]"));
        LIEQ_ASSIGN_OR_RETURN(std::optional<std::string> text,
                              OptString(entry, "template", file, "chat_template[]"));
        if (text && (spec->chat_template.empty() || name == "default")) spec->chat_template = *text;
      }
    } else {
      return DataLoss(file + ": chat_template is neither a string nor a list of templates");
    }
  }
  return Status::Ok();
}

// Fills the SentencePiece-only parts: token types for bytes/unk and scores of -merge rank.
void FinishSentencePiece(TokenizerSpec* spec, const TokenIndex& index) {
  const size_t n = spec->tokens.size();
  // Tokens that no merge forms (characters, bytes, specials) rank after every merge.
  spec->scores.assign(n, -static_cast<float>(spec->merges.size()));
  std::vector<bool> scored(n, false);
  for (size_t rank = 0; rank < spec->merges.size(); ++rank) {
    std::string merged = spec->merges[rank];
    merged.erase(merged.find(' '), 1);
    const int32_t id = index.Find(merged);
    if (id >= 0 && !scored[id]) {
      spec->scores[id] = -static_cast<float>(rank);
      scored[id] = true;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    const std::string& t = spec->tokens[i];
    if (spec->types[i] == TokenType::kNormal && t.size() == 6 && t.starts_with("<0x") &&
        t.back() == '>') {
      spec->types[i] = TokenType::kByte;
    }
  }
  if (spec->unk_id >= 0) spec->types[spec->unk_id] = TokenType::kUnknown;
}

Result<TokenizerSpec> Convert(const Json& root, const std::string& file, const Json* config,
                              const std::string& config_file) {
  if (!root.is_object()) return DataLoss(file + ": the top level is not a JSON object");
  const Json* model = Member(root, "model");
  if (model == nullptr || !model->is_object()) {
    return DataLoss(file + ": \"model\" is missing or not an object");
  }
  LIEQ_ASSIGN_OR_RETURN(std::optional<std::string> type, OptString(*model, "type", file, "model"));
  // Old files omit model.type; a vocab with merges is BPE.
  if (!type && Member(*model, "merges") != nullptr) type = "BPE";
  if (type != "BPE") {
    return Unimplemented(file + ": model type '" + type.value_or("(none)") +
                         "' is not supported (only BPE)");
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    LIEQ_ASSIGN_OR_RETURN(std::optional<std::string> affix, OptString(*model, key, file, "model"));
    if (affix && !affix->empty()) {
      return Unimplemented(file + ": model." + key + " '" + *affix + "' is not supported");
    }
  }

  TokenizerSpec spec;
  LIEQ_RETURN_IF_ERROR(ReadTokens(root, *model, file, &spec));
  TokenIndex index;
  index.Build(spec.tokens);
  LIEQ_RETURN_IF_ERROR(ReadMerges(*model, file, index, &spec));

  Normalization norm;
  if (const Json* n = Member(root, "normalizer")) {
    LIEQ_RETURN_IF_ERROR(ReadNormalizer(*n, file, "normalizer", &norm));
  }
  PreTokenization pre;
  if (const Json* p = Member(root, "pre_tokenizer")) {
    LIEQ_RETURN_IF_ERROR(ReadPreTokenizer(*p, file, "pre_tokenizer", &pre));
  }
  LIEQ_ASSIGN_OR_RETURN(std::optional<bool> byte_fallback,
                        OptBool(*model, "byte_fallback", file, "model"));
  spec.nfc = norm.nfc;

  if (pre.byte_level) {
    spec.kind = TokenizerSpec::Kind::kByteLevelBpe;
    if (!pre.split_regex.empty() && pre.byte_level_regex) {
      return Unimplemented(file +
                           ": a Split regex together with ByteLevel use_regex is not supported");
    }
    if (pre.split_regex.empty() && !pre.byte_level_regex) {
      return Unimplemented(file +
                           ": a byte-level pre-tokenizer without any regex is not supported");
    }
    spec.pre =
        pre.byte_level_regex ? "gpt2" : std::string(PreTokenizerNameForRegex(pre.split_regex));
    if (spec.pre.empty()) {
      return Unimplemented(file + ": the pre-tokenizer regex is none of the supported ones " +
                           "(qwen2, llama-bpe, gpt2): " + pre.split_regex);
    }
  } else if (norm.space_to_mark || pre.metaspace || byte_fallback.value_or(false)) {
    spec.kind = TokenizerSpec::Kind::kSentencePieceBpe;
    if (!norm.space_to_mark && !pre.metaspace) {
      return Unimplemented(file + ": a SentencePiece-style tokenizer must turn spaces into \"▁\" " +
                           "(Replace normalizer or Metaspace)");
    }
    if (!pre.split_regex.empty()) {
      return Unimplemented(file + ": a Split pre-tokenizer is not supported without ByteLevel");
    }
    spec.pre = "default";
    spec.add_space_prefix = norm.prepend_space_mark || pre.metaspace_prefix;
  } else {
    return Unimplemented(file + ": neither a ByteLevel pre-tokenizer nor SentencePiece-style " +
                         "\"▁\" handling; this kind of tokenizer is not supported");
  }

  LIEQ_ASSIGN_OR_RETURN(std::optional<std::string> unk,
                        OptString(*model, "unk_token", file, "model"));
  if (unk) {
    spec.unk_id = index.Find(*unk);
    if (spec.unk_id < 0) {
      return DataLoss(file + ": model.unk_token '" + *unk + "' is not in the vocabulary");
    }
  }
  if (const Json* p = Member(root, "post_processor")) {
    LIEQ_RETURN_IF_ERROR(ReadPostProcessor(*p, file, "post_processor", index, &spec));
  }
  if (config != nullptr) LIEQ_RETURN_IF_ERROR(ApplyConfig(*config, config_file, index, &spec));
  if (spec.kind == TokenizerSpec::Kind::kSentencePieceBpe) FinishSentencePiece(&spec, index);
  return spec;
}

}  // namespace

Result<TokenizerSpec> ParseTokenizerJson(std::string_view json, const std::string& path,
                                         std::string_view config_json,
                                         const std::string& config_path) {
  LIEQ_ASSIGN_OR_RETURN(Json root, json_util::Parse(json, path));
  std::optional<Json> config;
  if (!config_json.empty()) {
    LIEQ_ASSIGN_OR_RETURN(config, json_util::Parse(config_json, config_path));
  }
  // The accessors above check types before reading; this only guards against a case they miss.
  try {
    return Convert(root, path, config ? &*config : nullptr, config_path);
  } catch (const Json::exception& e) {
    return DataLoss(path + ": unexpected JSON content: " + e.what());
  }
}

Result<TokenizerSpec> LoadTokenizerJson(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return NotFound(path + ": no such file");
  LIEQ_ASSIGN_OR_RETURN(std::string json, ReadTextFile(path));
  const std::string config_path = (fs::path(path).parent_path() / "tokenizer_config.json").string();
  std::string config;
  if (fs::is_regular_file(config_path, ec)) {
    LIEQ_ASSIGN_OR_RETURN(config, ReadTextFile(config_path));
    // An empty config file would otherwise read as "no config".
    if (config.empty()) return DataLoss(config_path + ": empty file");
  }
  LIEQ_ASSIGN_OR_RETURN(TokenizerSpec spec, ParseTokenizerJson(json, path, config, config_path));
  // Newer transformers keep the chat template in its own file.
  const std::string template_path = (fs::path(path).parent_path() / "chat_template.jinja").string();
  if (spec.chat_template.empty() && fs::is_regular_file(template_path, ec)) {
    LIEQ_ASSIGN_OR_RETURN(spec.chat_template, ReadTextFile(template_path));
  }
  return spec;
}

}  // namespace lieq
