// Unicode NFC normalisation (Qwen's tokenizer.json normaliser), via utf8proc.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace lieq {

// NFC form of valid UTF-8 `text`. Pure ASCII is returned unchanged without calling utf8proc.
Result<std::string> NfcNormalize(std::string_view text);

}  // namespace lieq
