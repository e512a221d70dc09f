// Text from files and options (model names, paths) goes into report.html only escaped, so a
// name like "<script>" is shown, never run.
#pragma once

#include <string>
#include <string_view>

namespace lieq {

// & < > " ' as character references; everything else (UTF-8 included) unchanged.
std::string EscapeHtml(std::string_view text);

}  // namespace lieq
