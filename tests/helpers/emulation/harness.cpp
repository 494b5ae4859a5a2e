// Exposes one emulated kernel variant to Python (ctypes). Built with
//   -include cuda_shim.h -DCONV_SOURCE="<assembled .cu file>" -DKERNEL_FUNCTION=<name> <variant -D options>
// and linked with the shim's runtime object (see cuda_emulation.py).
#include <cstring>

#include CONV_SOURCE

extern "C" void emu_run(const real_t* x, const real_t* w, const real_t* bias, real_t* y, int batch,
                        int channels, int height, int width, int out_channels, int out_height,
                        int out_width, int pad_top, int pad_left, int has_bias, unsigned grid_x,
                        unsigned grid_y, unsigned grid_z, unsigned block_x, unsigned block_y,
                        unsigned block_z)
{
    emu_launch(dim3{grid_x, grid_y, grid_z}, dim3{block_x, block_y, block_z}, KERNEL_FUNCTION, x, w,
               bias, y, batch, channels, height, width, out_channels, out_height, out_width, pad_top,
               pad_left, has_bias);
}

extern "C" int emu_set_constant_weights(const void* w, long long bytes)
{
#if defined(WEIGHTS_IN_CONSTANT) && WEIGHTS_IN_CONSTANT
    if (bytes > (long long)sizeof(c_weights))
        return -1;
    std::memcpy(c_weights, w, (size_t)bytes);
    return 0;
#else
    (void)w;
    (void)bytes;
    return -1;
#endif
}
