/*
 * The `dotnet` muxer of the MCR stand-in's arm64 images, built with Debian's aarch64 cross compiler.
 *
 * Why it exists: the arm64 .NET bits come from NuGet's runtime packs, and no package served carries the arm64
 * muxer. Microsoft.NETCore.App.Runtime.linux-arm64 holds the shared framework with libhostfxr.so and
 * libhostpolicy.so, Microsoft.NETCore.App.Host.linux-arm64 the apphost and singlefilehost (whose apphost refuses to
 * run unless a DLL name is patched into it), and runtime.linux-arm64.Microsoft.NETCore.DotNetHost is not served.
 *
 * What it does is what the real muxer does (github.com/dotnet/runtime src/native/corehost/corehost.cpp, exe_start
 * without FEATURE_APPHOST): refuse to run when renamed, print the usage without arguments, find
 * <own directory>/host/fxr/<highest version>/libhostfxr.so (fxr_resolver), and hand everything to
 * hostfxr_main_startupinfo(argc, argv, host_path, dotnet_root, app_path) with app_path <own directory>/dotnet.dll.
 * hostfxr does all the rest (running an app, --info, --list-runtimes), exactly as under the real muxer.
 * Not done: tracing (COREHOST_TRACE) of the host itself and the v1 fallback for hostfxr older than .NET Core 2.1.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int (*hostfxr_main_startupinfo_fn)(int argc, const char **argv, const char *host_path, const char *dotnet_root,
                                           const char *app_path);

/* Compares dotted numeric versions ("10.0.12" > "9.0.3"); a pre-release ("-rc.1") sorts before its release. */
static int version_compare(const char *a, const char *b) {
  for (;;) {
    char *ea, *eb;
    long x = strtol(a, &ea, 10), y = strtol(b, &eb, 10);
    if (x != y) return x < y ? -1 : 1;
    if (*ea == '.' && *eb == '.') {
      a = ea + 1;
      b = eb + 1;
      continue;
    }
    if (*ea == '.') return 1;
    if (*eb == '.') return -1;
    if (!*ea || !*eb) return !*ea - !*eb;
    return strcmp(ea, eb);
  }
}

int main(int argc, const char **argv) {
  char host_path[PATH_MAX];
  if (!realpath("/proc/self/exe", host_path)) {
    fprintf(stderr, "Failed to resolve full path of the current executable [/proc/self/exe]\n");
    return (int)0x80008085; /* CoreHostCurHostFindFailure */
  }
  char dir_buf[PATH_MAX];
  strcpy(dir_buf, host_path);
  const char *dotnet_root = dirname(dir_buf);
  char name_buf[PATH_MAX];
  strcpy(name_buf, host_path);
  const char *own_name = basename(name_buf);
  if (strcmp(own_name, "dotnet") != 0) {
    fprintf(stderr, "Error: cannot execute dotnet when renamed to %s.\n", own_name);
    return (int)0x80008084; /* CoreHostEntryPointFailure */
  }
  if (argc <= 1) {
    printf("\nUsage: dotnet [options]\nUsage: dotnet [path-to-application]\n\nOptions:\n"
           "  -h|--help         Display help.\n  --info            Display .NET information.\n"
           "  --list-sdks       Display the installed SDKs.\n  --list-runtimes   Display the installed runtimes.\n\n"
           "path-to-application:\n  The path to an application .dll file to execute.\n");
    return (int)0x80008081; /* InvalidArgFailure */
  }

  char fxr_dir[PATH_MAX];
  snprintf(fxr_dir, sizeof fxr_dir, "%s/host/fxr", dotnet_root);
  DIR *d = opendir(fxr_dir);
  char best[256] = "";
  if (d) {
    for (struct dirent *e; (e = readdir(d));) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      if (!*best || version_compare(e->d_name, best) > 0) snprintf(best, sizeof best, "%s", e->d_name);
    }
    closedir(d);
  }
  if (!*best) {
    fprintf(stderr, "A fatal error occurred. The folder [%s] does not exist or holds no version\n", fxr_dir);
    return (int)0x80008083; /* CoreHostLibMissingFailure */
  }
  char fxr_path[PATH_MAX + 512];
  snprintf(fxr_path, sizeof fxr_path, "%s/%s/libhostfxr.so", fxr_dir, best);
  void *fxr = dlopen(fxr_path, RTLD_NOW | RTLD_LOCAL);
  if (!fxr) {
    fprintf(stderr, "Failed to load %s, error: %s\n", fxr_path, dlerror());
    return (int)0x80008082; /* CoreHostLibLoadFailure */
  }
  hostfxr_main_startupinfo_fn main_fn = (hostfxr_main_startupinfo_fn)dlsym(fxr, "hostfxr_main_startupinfo");
  if (!main_fn) {
    fprintf(stderr, "The required library %s does not contain the expected entry point.\n", fxr_path);
    return (int)0x80008084; /* CoreHostEntryPointFailure */
  }
  char app_path[PATH_MAX + 16];
  snprintf(app_path, sizeof app_path, "%s/dotnet.dll", dotnet_root);
  return main_fn(argc, argv, host_path, dotnet_root, app_path);
}
