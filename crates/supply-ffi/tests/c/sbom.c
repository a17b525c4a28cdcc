/* A C caller of supply's SBOM functions: reads a lockfile, prints its SBOM, validates it, and
 * checks that errors come back as codes and messages. Exit 0 on the expected behaviour. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supply.h"

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    if (fread(text, 1, (size_t)size, f) != (size_t)size) { fclose(f); free(text); return NULL; }
    text[size] = '\0';
    fclose(f);
    *len = (size_t)size;
    return text;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s Cargo.lock\n", argv[0]); return 2; }
    size_t len = 0;
    char *lockfile = read_file(argv[1], &len);
    if (!lockfile) { perror(argv[1]); return 2; }

    char *json = NULL;
    supply_error *error = NULL;
    supply_result result = supply_sbom_from_lockfile(SUPPLY_ECOSYSTEM_CARGO, (const uint8_t *)lockfile, len, "Cargo.lock", &json, &error);
    if (result != SUPPLY_RESULT_OK) {
        fprintf(stderr, "sbom failed (%u): %s\n", (unsigned)result, supply_error_message(error));
        return 1;
    }
    size_t problems = 99;
    char *report = NULL;
    result = supply_sbom_validate((const uint8_t *)json, strlen(json), &problems, &report, &error);
    if (result != SUPPLY_RESULT_OK || problems != 0 || strcmp(report, "[]") != 0) { fprintf(stderr, "invalid SBOM\n"); return 1; }
    supply_string_free(report);
    fputs(json, stdout);

    /* An invalid document is a result (problems counted and listed), not an error. */
    const char *bad = "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.6\", \"version\": \"one\"}";
    result = supply_sbom_validate((const uint8_t *)bad, strlen(bad), &problems, &report, &error);
    if (result != SUPPLY_RESULT_OK || problems == 0 || !strstr(report, "\"path\"")) { fprintf(stderr, "validation of an invalid SBOM: %u\n", (unsigned)result); return 1; }
    supply_string_free(report);
    /* Not JSON at all: that is an error (nothing could be checked). */
    result = supply_sbom_validate((const uint8_t *)"{", 1, &problems, NULL, &error);
    if (result != SUPPLY_RESULT_INVALID_INPUT) { fprintf(stderr, "not JSON: %u\n", (unsigned)result); return 1; }
    supply_error_free(error);
    error = NULL;
    supply_string_free(json);

    /* A broken lockfile: an error code and a message naming the line; nothing in json. */
    json = NULL;
    const char *broken = "version = 4\n[[package]]\nname = 3\n";
    result = supply_sbom_from_lockfile(SUPPLY_ECOSYSTEM_CARGO, (const uint8_t *)broken, strlen(broken), "Cargo.lock", &json, &error);
    if (result != SUPPLY_RESULT_INVALID_INPUT || json != NULL || !strstr(supply_error_message(error), "line 3")) {
        fprintf(stderr, "expected an invalid-input error, got %u\n", (unsigned)result);
        return 1;
    }
    if (supply_error_code(error) != SUPPLY_RESULT_INVALID_INPUT) return 1;
    supply_error_free(error);

    /* A directory, searched as `supply sbom DIR` does. */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", argv[1]);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    result = supply_sbom_from_path(dir, &json, NULL);
    if (result != SUPPLY_RESULT_OK || !strstr(json, "\"specVersion\": \"1.6\"")) { fprintf(stderr, "sbom of %s: %u\n", dir, (unsigned)result); return 1; }
    supply_string_free(json);

    fprintf(stderr, "supply %s\n", supply_version());
    free(lockfile);
    return 0;
}
