// Placeholder until the eval command lands (being written now).
#include "cli/command.h"

namespace lieq::cli {

void RegisterEval(CLI::App& root, Status& result) {
  CLI::App* app = root.add_subcommand("eval", "(not built yet)");
  app->allow_extras();
  app->callback([&result] { result = Unimplemented("lieq eval is not built yet"); });
}

}  // namespace lieq::cli
