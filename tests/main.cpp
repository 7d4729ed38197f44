// Shared Catch2 main for every coronet test binary.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <sys/resource.h>

int main(int argc, char* argv[]) {
    // The transport tests open 500 connections (1000 descriptors in one
    // process); the default soft limit of 1024 is too close for comfort.
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
    return Catch::Session().run(argc, argv);
}
