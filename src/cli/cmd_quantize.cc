// Placeholder until the quantize command lands (being written now).
#include "cli/command.h"

namespace lieq::cli {

void RegisterQuantize(CLI::App& root, Status& result) {
  CLI::App* app = root.add_subcommand("quantize", "(not built yet)");
  app->allow_extras();
  app->callback([&result] { result = Unimplemented("lieq quantize is not built yet"); });
}

}  // namespace lieq::cli
