// Parses the command line and runs the chosen subcommand, turning what would otherwise end the
// process badly into errors: an unknown subcommand, and memory exhaustion in any command.
#include <cstdio>
#include <new>
#include <string>

#include "cli/command.h"

namespace lieq::cli {

int RunApp(CLI::App& app, const Status& result, int argc, char** argv) {
  // CLI11 reports "lieq bogus" as an unexpected extra argument; say what it is.
  if (argc >= 2 && argv[1][0] != '-') {
    bool known = false;
    std::string names;
    for (const CLI::App* sub : app.get_subcommands({})) {
      known |= sub->get_name() == argv[1];
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) {
      std::fprintf(stderr, "lieq: error: unknown command '%s' (commands: %s; see lieq --help)\n",
                   argv[1], names.c_str());
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::bad_alloc&) {
    // The commands check their large allocations (docs/RELIABILITY.md); this catches the rest.
    std::fprintf(stderr,
                 "lieq: error: out of memory (an allocation failed; see `ulimit -v` and the "
                 "machine's free memory)\n");
    return 1;
  }
  if (!result.ok()) {
    std::fprintf(stderr, "lieq: error: %s\n", result.message().c_str());
    return result.code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  return 0;
}

}  // namespace lieq::cli
