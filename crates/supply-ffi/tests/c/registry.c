/* supply's C API against a real registry: make a key pair, sign an image (the .sig tag and a
 * cosign v3 bundle referrer), verify it (accepted), verify with another key (the
 * verification-failed code and its finding code), an unreachable registry (the could-not-verify
 * code, no verdict), attest and verify attestations with a policy, and many threads sharing
 * one context. Usage: registry IMAGE BUNDLE_IMAGE UNREACHABLE_IMAGE */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supply.h"

static int failures = 0;
#define EXPECT(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

#define THREADS 8
#define ROUNDS 5

struct job {
    const supply_context *context;
    const supply_verifying_key *key;
    const char *image;
    int accepted;
};

static void *verify_many(void *arg) {
    struct job *job = arg;
    for (int i = 0; i < ROUNDS; i++) {
        supply_verdict *verdict = NULL;
        if (supply_verify_image(job->context, job->key, NULL, NULL, job->image, NULL, &verdict, NULL) == SUPPLY_RESULT_OK &&
            supply_verdict_accepted(verdict))
            job->accepted++;
        supply_verdict_free(verdict);
    }
    return NULL;
}

/* Whether some finding has this code (each run signs with a new key, so earlier runs' layers
 * add findings of their own). */
static int has_code(const supply_verdict *verdict, const char *code) {
    for (size_t i = 0; i < supply_verdict_finding_count(verdict); i++)
        if (strcmp(supply_verdict_finding_code(verdict, i), code) == 0) return 1;
    return 0;
}

static supply_verifying_key *public_key(const char *pem) {
    supply_verifying_key *key = NULL;
    if (supply_verifying_key_from_pem((const uint8_t *)pem, strlen(pem), &key, NULL) != SUPPLY_RESULT_OK) return NULL;
    return key;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s IMAGE BUNDLE_IMAGE UNREACHABLE_IMAGE\n", argv[0]); return 2; }
    const char *image = argv[1], *bundle_image = argv[2], *unreachable = argv[3];
    supply_error *error = NULL;

    supply_context_builder *builder = NULL;
    EXPECT(supply_context_builder_new(&builder) == SUPPLY_RESULT_OK);
    EXPECT(supply_context_builder_set_timeout_ms(builder, 5000) == SUPPLY_RESULT_OK);
    EXPECT(supply_context_builder_set_retries(builder, 0) == SUPPLY_RESULT_OK);
    const supply_context *context = NULL;
    EXPECT(supply_context_builder_build(builder, &context, &error) == SUPPLY_RESULT_OK);

    char *private_pem = NULL, *public_pem = NULL, *other_private = NULL, *other_public = NULL;
    EXPECT(supply_generate_key_pair((const uint8_t *)"pw", 2, &private_pem, &public_pem, NULL) == SUPPLY_RESULT_OK);
    EXPECT(supply_generate_key_pair(NULL, 0, &other_private, &other_public, NULL) == SUPPLY_RESULT_OK);
    supply_signing_key *signing = NULL;
    EXPECT(supply_signing_key_from_pem((const uint8_t *)private_pem, strlen(private_pem), (const uint8_t *)"pw", 2, &signing, &error) == SUPPLY_RESULT_OK);
    supply_verifying_key *key = public_key(public_pem), *other = public_key(other_public);
    EXPECT(key && other);

    /* Sign: the legacy tag with an annotation, and a bundle referrer. */
    char *signed_json = NULL;
    supply_result result = supply_sign_image(context, signing, image, "{\"team\": \"platform\"}", false, &signed_json, &error);
    if (result != SUPPLY_RESULT_OK) fprintf(stderr, "sign: %s\n", supply_error_message(error));
    EXPECT(result == SUPPLY_RESULT_OK);
    EXPECT(signed_json && strstr(signed_json, "signatureReference"));
    supply_string_free(signed_json);
    EXPECT(supply_sign_image(context, signing, bundle_image, NULL, true, &signed_json, NULL) == SUPPLY_RESULT_OK);
    supply_string_free(signed_json);

    /* Verify: accepted, with the annotation required; the bundle too. */
    supply_verdict *verdict = NULL;
    EXPECT(supply_verify_image(context, key, NULL, NULL, image, "{\"team\": \"platform\"}", &verdict, &error) == SUPPLY_RESULT_OK);
    EXPECT(supply_verdict_accepted(verdict));
    EXPECT(supply_verdict_digest(verdict) && strncmp(supply_verdict_digest(verdict), "sha256:", 7) == 0);
    supply_verdict_free(verdict);
    verdict = NULL;
    EXPECT(supply_verify_image(context, key, NULL, NULL, bundle_image, NULL, &verdict, NULL) == SUPPLY_RESULT_OK);
    supply_verdict_free(verdict);
    verdict = NULL;

    /* Another key: decided no, with the finding's code. */
    result = supply_verify_image(context, other, NULL, NULL, image, NULL, &verdict, NULL);
    EXPECT(result == SUPPLY_RESULT_VERIFICATION_FAILED);
    EXPECT(!supply_result_could_not_verify(result));
    EXPECT(verdict && !supply_verdict_accepted(verdict));
    EXPECT(supply_verdict_finding_count(verdict) >= 1);
    EXPECT(has_code(verdict, "signature-invalid"));
    supply_verdict_free(verdict);
    verdict = NULL;
    /* A required annotation that is not there. */
    EXPECT(supply_verify_image(context, key, NULL, NULL, image, "{\"team\": \"security\"}", &verdict, NULL) == SUPPLY_RESULT_VERIFICATION_FAILED);
    EXPECT(has_code(verdict, "annotation-mismatch"));
    supply_verdict_free(verdict);
    verdict = NULL;

    /* Nothing listening: could not verify, and no verdict. */
    result = supply_verify_image(context, key, NULL, NULL, unreachable, NULL, &verdict, &error);
    EXPECT(supply_result_could_not_verify(result));
    EXPECT(verdict == NULL);
    EXPECT(error && supply_error_code(error) == result && strlen(supply_error_message(error)) > 0);
    supply_error_free(error);
    error = NULL;

    /* Attest SLSA provenance, then verify it with a policy that holds and one that does not. */
    const char *predicate = "{\"buildDefinition\": {\"buildType\": \"https://actions.github.io/buildtypes/workflow/v1\","
        " \"externalParameters\": {\"workflow\": {\"ref\": \"refs/heads/main\", \"repository\": \"https://github.com/octo/app\"}}},"
        " \"runDetails\": {\"builder\": {\"id\": \"https://github.com/octo/app/.github/workflows/release.yml@refs/heads/main\"}}}";
    char *attested = NULL;
    EXPECT(supply_attest_image(context, signing, image, "slsaprovenance1", (const uint8_t *)predicate, strlen(predicate), false, &attested, NULL) == SUPPLY_RESULT_OK);
    EXPECT(attested && strstr(attested, "attestationReference"));
    supply_string_free(attested);
    EXPECT(supply_verify_attestations(context, key, NULL, NULL, image, "slsaprovenance1",
        "[provenance]\nsource-repository = \"https://github.com/octo/app\"\n", &verdict, NULL) == SUPPLY_RESULT_OK);
    supply_verdict_free(verdict);
    verdict = NULL;
    EXPECT(supply_verify_attestations(context, key, NULL, NULL, image, "slsaprovenance1",
        "[provenance]\nsource-repository = \"https://github.com/octo/fork\"\n", &verdict, NULL) == SUPPLY_RESULT_VERIFICATION_FAILED);
    EXPECT(has_code(verdict, "policy-source-repository-mismatch"));
    supply_verdict_free(verdict);
    verdict = NULL;
    EXPECT(supply_verify_attestations(context, key, NULL, NULL, image, "slsaprovenance1", "[provenance\n", &verdict, NULL) == SUPPLY_RESULT_INVALID_INPUT);

    /* Many threads, one context. */
    pthread_t threads[THREADS];
    struct job jobs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (struct job){context, key, image, 0};
        EXPECT(pthread_create(&threads[i], NULL, verify_many, &jobs[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        EXPECT(jobs[i].accepted == ROUNDS);
    }

    supply_verifying_key_free(key);
    supply_verifying_key_free(other);
    supply_signing_key_free(signing);
    supply_string_free(private_pem);
    supply_string_free(public_pem);
    supply_string_free(other_private);
    supply_string_free(other_public);
    supply_context_free(context);
    if (failures) { fprintf(stderr, "%d expectation(s) failed\n", failures); return 1; }
    puts("ok");
    return 0;
}
