# cmake -DIN=FILE -DOUT=FILE.cc -DSYMBOL=name -P embed_file.cmake: writes a .cc defining
# `extern const unsigned char lieq::SYMBOL[]` and `extern const std::size_t lieq::SYMBOL_size`
# with the bytes of IN (no trailing NUL counted).
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE "${OUT}.tmp"
  "// Generated from ${IN} by embed_file.cmake; do not edit.\n"
  "#include <cstddef>\n"
  "namespace lieq {\n"
  "extern const unsigned char ${SYMBOL}[];\n"
  "extern const std::size_t ${SYMBOL}_size;\n"
  "const unsigned char ${SYMBOL}[] = {\n${bytes}0x00};\n"
  "const std::size_t ${SYMBOL}_size = ${size};\n"
  "}  // namespace lieq\n")
file(RENAME "${OUT}.tmp" "${OUT}")
