// Placeholder until the plan command lands (being written now).
#include "cli/command.h"

namespace lieq::cli {

void RegisterPlan(CLI::App& root, Status& result) {
  CLI::App* app = root.add_subcommand("plan", "(not built yet)");
  app->allow_extras();
  app->callback([&result] { result = Unimplemented("lieq plan is not built yet"); });
}

}  // namespace lieq::cli
