// lieq tokenize TOKENIZER_OR_MODEL ["text" | -f FILE | < stdin]: prints token ids (and pieces
// with --pieces).
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/preflight.h"
#include "core/mapped_file.h"
#include "io/tokenizer_source.h"
#include "tokenizer/tokenizer.h"

namespace lieq::cli {
namespace {

struct TokenizeOptions {
  std::string source;
  std::string text;
  std::string file;
  bool no_special = false;
  bool pieces = false;
  CommonOptions common;
};

Status RunTokenize(const TokenizeOptions& o, bool text_given) {
  if (text_given && !o.file.empty()) {
    return InvalidArgument("give the text or -f FILE, not both");
  }
  if (!o.file.empty()) LIEQ_RETURN_IF_ERROR(PreflightInputFile(o.file, "-f"));
  if (!text_given && o.file.empty() && ::isatty(STDIN_FILENO)) {
    return InvalidArgument("no text: give it as an argument, with -f FILE, or on standard input");
  }
  LIEQ_ASSIGN_OR_RETURN(TokenizerSpec spec, LoadTokenizerSpec(o.source));
  LIEQ_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::Create(std::move(spec)));
  std::string text = o.text;
  if (!o.file.empty()) {
    LIEQ_ASSIGN_OR_RETURN(text, ReadTextFile(o.file));
  } else if (!text_given) {  // standard input, bounded as any text input
    LIEQ_ASSIGN_OR_RETURN(text, ReadTextFile("/dev/stdin"));
  }
  Result<std::vector<int32_t>> ids = tokenizer.Encode(text, !o.no_special);
  if (!ids.ok()) {
    return ids.status().WithContext(!o.file.empty() ? o.file : text_given ? "text" : "stdin");
  }
  if (o.common.json) {
    nlohmann::json j = {{"ids", *ids}, {"count", ids->size()}};
    if (o.pieces) {
      std::vector<std::string> p;
      for (int32_t id : *ids) p.push_back(tokenizer.TokenPiece(id));
      j["pieces"] = p;
    }
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return Status::Ok();
  }
  for (size_t i = 0; i < ids->size(); ++i) {
    if (o.pieces) {
      std::printf("%6d  '%s'\n", (*ids)[i], tokenizer.TokenPiece((*ids)[i]).c_str());
    } else {
      std::printf("%s%d", i ? " " : "", (*ids)[i]);
    }
  }
  if (!o.pieces) std::printf("\n");
  return Status::Ok();
}

}  // namespace

void RegisterTokenize(CLI::App& root, Status& result) {
  auto opts = std::make_shared<TokenizeOptions>();
  CLI::App* app = root.add_subcommand("tokenize", "Print the token ids of a text");
  app->add_option("tokenizer", opts->source, "tokenizer.json, model folder or GGUF file")->required();
  app->add_option("text", opts->text, "Text to tokenize (default: standard input)");
  app->add_option("-f,--file", opts->file, "Read the text from a file instead");
  app->add_flag("--no-special", opts->no_special, "Do not add BOS/EOS even if the tokenizer asks for them");
  app->add_flag("--pieces", opts->pieces, "Show each token's text");
  AddCommonOptions(*app, opts->common);
  app->callback([opts, app, &result] { result = RunTokenize(*opts, app->count("text") > 0); });
}

}  // namespace lieq::cli
