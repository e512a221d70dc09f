// Extra target attributes for Highway's AVX3_DL target, for the AVX-512 extensions Highway 1.0.3
// leaves out of it (avx512vnni, avx512bf16). Include right after HWY_BEFORE_NAMESPACE() in a
// foreach_target file, with LIEQ_AVX3_DL_EXTRA defined as the attributes to add (",avx512vnni");
// close with avx3_dl_extra_end-inl.h right before HWY_AFTER_NAMESPACE(). No include guard: it is
// included once per target. Code compiled with an extra attribute must only run where CPUID has it
// (Highway's AVX3_DL check covers VNNI; BF16 needs its own check).
#if HWY_TARGET == HWY_AVX3_DL
HWY_POP_ATTRIBUTES
HWY_PUSH_ATTRIBUTES(HWY_TARGET_STR LIEQ_AVX3_DL_EXTRA)
#endif
