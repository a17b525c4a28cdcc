/* A C caller of supply's C API: reads a lockfile, prints its SBOM, validates it, and checks
 * that errors come back as codes and messages. Exit 0 on the expected behaviour. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supply.h"

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    if (fread(text, 1, (size_t)size, f) != (size_t)size) { fclose(f); free(text); return NULL; }
    text[size] = '\0';
    fclose(f);
    return text;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s Cargo.lock\n", argv[0]); return 2; }
    char *lockfile = read_file(argv[1]);
    if (!lockfile) { perror(argv[1]); return 2; }

    char *json = NULL;
    supply_error *error = NULL;
    supply_result result = supply_sbom_from_lockfile(SUPPLY_ECOSYSTEM_CARGO, lockfile, "Cargo.lock", &json, &error);
    if (result != SUPPLY_RESULT_OK) {
        fprintf(stderr, "sbom failed (%u): %s\n", (unsigned)result, supply_error_message(error));
        return 1;
    }
    size_t problems = 99;
    result = supply_sbom_validate(json, &problems, &error);
    if (result != SUPPLY_RESULT_OK || problems != 0) { fprintf(stderr, "invalid SBOM\n"); return 1; }
    fputs(json, stdout);
    supply_string_free(json);

    /* A broken lockfile: an error code and a message naming the line; nothing in json. */
    json = NULL;
    result = supply_sbom_from_lockfile(SUPPLY_ECOSYSTEM_CARGO, "version = 4\n[[package]]\nname = 3\n", "Cargo.lock", &json, &error);
    if (result != SUPPLY_RESULT_INVALID_INPUT || json != NULL || !strstr(supply_error_message(error), "line 3")) {
        fprintf(stderr, "expected an invalid-input error, got %u\n", (unsigned)result);
        return 1;
    }
    supply_error_free(error);

    /* NULL arguments are refused, not dereferenced; the error out-parameter is optional. */
    if (supply_sbom_from_lockfile(SUPPLY_ECOSYSTEM_UV, NULL, "uv.lock", &json, NULL) != SUPPLY_RESULT_INVALID_ARGUMENT) return 1;
    if (supply_sbom_from_lockfile(SUPPLY_ECOSYSTEM_UV, "", "uv.lock", NULL, NULL) != SUPPLY_RESULT_INVALID_ARGUMENT) return 1;

    fprintf(stderr, "supply %s\n", supply_version());
    free(lockfile);
    return 0;
}
