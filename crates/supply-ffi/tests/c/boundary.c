/* What a host needs from the boundary: bad arguments become codes (never a crash), outputs are
 * left alone on failure, every _free takes NULL, a panic inside supply is a code, and an
 * offline keyless bundle verification with a trusted root works from C.
 * Usage: boundary TRUSTED_ROOT BUNDLE ARTIFACT IDENTITY ISSUER */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supply.h"

static int failures = 0;
#define EXPECT(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *bytes = malloc((size_t)size + 1);
    if (fread(bytes, 1, (size_t)size, f) != (size_t)size) { fclose(f); free(bytes); return NULL; }
    fclose(f);
    *len = (size_t)size;
    return bytes;
}

int main(int argc, char **argv) {
    if (argc != 6) { fprintf(stderr, "usage: %s TRUSTED_ROOT BUNDLE ARTIFACT IDENTITY ISSUER\n", argv[0]); return 2; }
    supply_error *error = NULL;
    char *json = (char *)"untouched";

    /* Version: the header's macro is the library's. */
    EXPECT(strcmp(supply_version(), SUPPLY_VERSION) == 0);

    /* NULLs and bad values: INVALID_ARGUMENT, outputs untouched. */
    EXPECT(supply_sbom_from_lockfile(SUPPLY_ECOSYSTEM_CARGO, NULL, 5, "Cargo.lock", &json, NULL) == SUPPLY_RESULT_INVALID_ARGUMENT);
    EXPECT(supply_sbom_from_lockfile(7, (const uint8_t *)"", 0, "Cargo.lock", &json, &error) == SUPPLY_RESULT_INVALID_ARGUMENT);
    EXPECT(strstr(supply_error_message(error), "ecosystem 7") != NULL);
    EXPECT(supply_error_code(error) == SUPPLY_RESULT_INVALID_ARGUMENT);
    supply_error_free(error);
    error = NULL;
    EXPECT(supply_sbom_from_lockfile(SUPPLY_ECOSYSTEM_UV, (const uint8_t *)"", 0, "uv.lock", NULL, NULL) == SUPPLY_RESULT_INVALID_ARGUMENT);
    EXPECT(supply_sbom_from_lockfile(SUPPLY_ECOSYSTEM_UV, (const uint8_t *)"", 0, "\xff\xfe", &json, &error) == SUPPLY_RESULT_INVALID_ARGUMENT);
    EXPECT(strstr(supply_error_message(error), "not UTF-8") != NULL);
    supply_error_free(error);
    error = NULL;
    EXPECT(strcmp(json, "untouched") == 0);

    /* A context; a verification with NULL pieces or an invalid reference. */
    supply_context_builder *builder = NULL;
    EXPECT(supply_context_builder_new(&builder) == SUPPLY_RESULT_OK);
    EXPECT(supply_context_builder_set_timeout_ms(builder, 2000) == SUPPLY_RESULT_OK);
    EXPECT(supply_context_builder_set_retries(builder, 0) == SUPPLY_RESULT_OK);
    EXPECT(supply_context_builder_set_trusted_root(builder, (const uint8_t *)"{", 1, &error) == SUPPLY_RESULT_INVALID_INPUT);
    supply_error_free(error);
    error = NULL;
    size_t root_len = 0;
    uint8_t *root = read_file(argv[1], &root_len);
    EXPECT(root != NULL);
    EXPECT(supply_context_builder_set_trusted_root(builder, root, root_len, &error) == SUPPLY_RESULT_OK);
    const supply_context *context = NULL;
    EXPECT(supply_context_builder_build(builder, &context, &error) == SUPPLY_RESULT_OK);
    EXPECT(supply_context_builder_build(NULL, &context, NULL) == SUPPLY_RESULT_INVALID_ARGUMENT);

    supply_verdict *verdict = NULL;
    EXPECT(supply_verify_image(NULL, NULL, "i", "o", "r/a:1", NULL, &verdict, NULL) == SUPPLY_RESULT_INVALID_ARGUMENT);
    EXPECT(supply_verify_image(context, NULL, NULL, NULL, "r/a:1", NULL, &verdict, NULL) == SUPPLY_RESULT_INVALID_ARGUMENT);
    EXPECT(supply_verify_image(context, NULL, "i", "o", "Not A//Reference", NULL, &verdict, &error) == SUPPLY_RESULT_INVALID_INPUT);
    supply_error_free(error);
    error = NULL;
    EXPECT(supply_verify_image(context, NULL, "i", "o", "r/a:1", "[1]", &verdict, NULL) == SUPPLY_RESULT_INVALID_INPUT);
    EXPECT(verdict == NULL);

    /* Keyless bundle verification, offline, with the context's trusted root. */
    size_t bundle_len = 0, artifact_len = 0;
    uint8_t *bundle = read_file(argv[2], &bundle_len);
    uint8_t *artifact = read_file(argv[3], &artifact_len);
    EXPECT(bundle && artifact);
    supply_result result = supply_verify_bundle(context, NULL, argv[4], argv[5], bundle, bundle_len, artifact, artifact_len, &verdict, &error);
    EXPECT(result == SUPPLY_RESULT_OK);
    EXPECT(supply_verdict_accepted(verdict));
    EXPECT(supply_verdict_finding_count(verdict) == 0);
    EXPECT(supply_verdict_digest(verdict) != NULL && strncmp(supply_verdict_digest(verdict), "sha256:", 7) == 0);
    char *verdict_json = NULL;
    EXPECT(supply_verdict_json(verdict, &verdict_json, NULL) == SUPPLY_RESULT_OK);
    EXPECT(strstr(verdict_json, argv[4]) != NULL);
    supply_string_free(verdict_json);
    supply_verdict_free(verdict);
    verdict = NULL;
    /* Another identity: a verdict that says no, with its code. */
    result = supply_verify_bundle(context, NULL, "someone@example.com", argv[5], bundle, bundle_len, artifact, artifact_len, &verdict, NULL);
    EXPECT(result == SUPPLY_RESULT_VERIFICATION_FAILED);
    EXPECT(!supply_verdict_accepted(verdict));
    EXPECT(supply_verdict_finding_count(verdict) == 1);
    EXPECT(strcmp(supply_verdict_finding_code(verdict, 0), "identity-mismatch") == 0);
    EXPECT(supply_verdict_finding_message(verdict, 0) != NULL);
    EXPECT(supply_verdict_finding_code(verdict, 1) == NULL);
    supply_verdict_free(verdict);

    /* Keys: bad PEM and a wrong password are codes. */
    char *private_pem = NULL, *public_pem = NULL;
    EXPECT(supply_generate_key_pair((const uint8_t *)"pw", 2, &private_pem, &public_pem, NULL) == SUPPLY_RESULT_OK);
    supply_signing_key *signing = NULL;
    EXPECT(supply_signing_key_from_pem((const uint8_t *)private_pem, strlen(private_pem), (const uint8_t *)"nope", 4, &signing, &error) != SUPPLY_RESULT_OK);
    EXPECT(signing == NULL);
    supply_error_free(error);
    error = NULL;
    EXPECT(supply_signing_key_from_pem((const uint8_t *)private_pem, strlen(private_pem), (const uint8_t *)"pw", 2, &signing, NULL) == SUPPLY_RESULT_OK);
    supply_verifying_key *public_key = NULL;
    EXPECT(supply_signing_key_public(signing, &public_key) == SUPPLY_RESULT_OK);
    supply_verifying_key *parsed = NULL;
    EXPECT(supply_verifying_key_from_pem((const uint8_t *)"junk", 4, &parsed, NULL) != SUPPLY_RESULT_OK);
    EXPECT(supply_verifying_key_from_pem((const uint8_t *)public_pem, strlen(public_pem), &parsed, NULL) == SUPPLY_RESULT_OK);
    supply_verifying_key_free(parsed);
    supply_verifying_key_free(public_key);
    supply_signing_key_free(signing);
    supply_string_free(private_pem);
    supply_string_free(public_pem);

    /* A panic inside the library is a code; the host goes on. */
    EXPECT(supply_selftest_panic(&error) == SUPPLY_RESULT_PANIC);
    EXPECT(strstr(supply_error_message(error), "panic") != NULL);
    supply_error_free(error);
    EXPECT(supply_selftest_panic(NULL) == SUPPLY_RESULT_PANIC);

    /* Result helpers. */
    EXPECT(supply_result_could_not_verify(SUPPLY_RESULT_NETWORK));
    EXPECT(supply_result_could_not_verify(SUPPLY_RESULT_TIMEOUT));
    EXPECT(supply_result_could_not_verify(SUPPLY_RESULT_UNAUTHORIZED));
    EXPECT(!supply_result_could_not_verify(SUPPLY_RESULT_VERIFICATION_FAILED));
    EXPECT(strcmp(supply_result_name(SUPPLY_RESULT_VERIFICATION_FAILED), "verification failed") == 0);
    EXPECT(strcmp(supply_result_name(424242), "unknown result") == 0);

    /* Every _free takes NULL. */
    supply_string_free(NULL);
    supply_error_free(NULL);
    supply_verdict_free(NULL);
    supply_signing_key_free(NULL);
    supply_verifying_key_free(NULL);
    supply_context_builder_free(NULL);
    supply_context_free(NULL);
    EXPECT(supply_verdict_accepted(NULL) == false);
    EXPECT(supply_verdict_finding_count(NULL) == 0);
    EXPECT(supply_error_message(NULL) == NULL);

    supply_context_free(context);
    free(root);
    free(bundle);
    free(artifact);
    if (failures) { fprintf(stderr, "%d expectation(s) failed\n", failures); return 1; }
    return 0;
}
