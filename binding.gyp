{
  "targets": [
    {
      "target_name": "grove_native",
      "sources": [
        "native/src/addon.cc",
        "native/src/forest.cc",
        "native/src/kernels.cc",
        "native/src/thread_pool.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      # node-addon-api never throws (errors become pending JS exceptions); our own code is built with
      # exceptions so std::bad_alloc can be caught at every N-API entry point (none crosses it).
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      "cflags!": [ "-fno-exceptions" ],
      "cflags_cc!": [ "-fno-exceptions", "-fno-rtti" ],
      # Baseline x86-64 (no -march=native: the CI machine may differ). No FMA contraction and no
      # fast-math, so float/double arithmetic matches JavaScript's bit for bit.
      "cflags": [ "-O3", "-fvisibility=hidden", "-ffp-contract=off", "-fno-fast-math", "-fno-trapping-math", "-Wall", "-Wextra" ],
      "cflags_cc": [ "-std=c++17", "-O3", "-fexceptions", "-fvisibility=hidden", "-ffp-contract=off", "-fno-fast-math", "-fno-trapping-math", "-Wall", "-Wextra" ],
      "ldflags": [ "-pthread" ],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
        "OTHER_CFLAGS": [ "-O3", "-ffp-contract=off" ]
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": [ "/std:c++17", "/fp:precise" ] }
      }
    }
  ]
}
