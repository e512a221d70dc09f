// Placeholder until the diagnose command lands (being written now).
#include "cli/command.h"

namespace lieq::cli {

void RegisterDiagnose(CLI::App& root, Status& result) {
  CLI::App* app = root.add_subcommand("diagnose", "(not built yet)");
  app->allow_extras();
  app->callback([&result] { result = Unimplemented("lieq diagnose is not built yet"); });
}

}  // namespace lieq::cli
