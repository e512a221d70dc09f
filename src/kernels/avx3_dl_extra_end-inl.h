// Closes avx3_dl_extra_begin-inl.h: restores what HWY_AFTER_NAMESPACE() pops. No include guard.
#if HWY_TARGET == HWY_AVX3_DL
HWY_POP_ATTRIBUTES
HWY_PUSH_ATTRIBUTES(HWY_TARGET_STR)
#endif
