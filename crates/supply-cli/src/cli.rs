//! The command-line grammar (clap derive). The only file that knows clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Supply-chain security for lockfiles and container images: SBOMs, signing, verification.
#[derive(Debug, Parser)]
#[command(name = "supply", version, about, max_term_width = 100, after_help = EXIT_CODES)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
    /// More log output on standard error (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub(crate) verbose: u8,
    /// Errors only on standard error.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,
}

const EXIT_CODES: &str = "Exit codes:
  0  done, or verified / valid
  1  verification failed, or the document is invalid
  2  usage or input error (bad arguments, unreadable or malformed files)
  3  could not verify: a registry or service unreachable, timed out, or refused the credentials";

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Write a CycloneDX SBOM from lockfiles (Cargo, npm, pnpm, Yarn, uv, Poetry, pylock), offline.
    Sbom(SbomArgs),
    /// Print the manifest digest an image reference resolves to.
    Digest(ImageArgs),
    /// Print where cosign stores an image's signatures, attestations or SBOM (the `.sig` tag).
    Triangulate(TriangulateArgs),
    /// Show what is attached to an image: signatures, attestations, SBOMs, referrers.
    Tree(ImageArgs),
    /// Make a cosign-compatible key pair (`cosign.key` encrypted, `cosign.pub`).
    GenerateKeyPair(GenerateKeyPairArgs),
    /// Import an RSA, ECDSA or Ed25519 private key into cosign's encrypted format.
    ImportKeyPair(ImportKeyPairArgs),
    /// Sign an image keylessly (Fulcio + Rekor) or with --key, as cosign does: a Sigstore
    /// bundle referrer or the legacy `sha256-<hex>.sig` tag.
    Sign(SignArgs),
    /// Verify an image's cosign signatures with a public key.
    Verify(VerifyArgs),
    /// Write an in-toto statement with SLSA provenance v1 built from the CI environment.
    Provenance(ProvenanceArgs),
    /// Attach a signed in-toto attestation (DSSE) to an image, as cosign does (a bundle
    /// referrer or the legacy `.att` tag).
    Attest(AttestArgs),
    /// Verify an image's attestations with a key and, optionally, a policy.
    VerifyAttestation(VerifyAttestationArgs),
    /// Sign a file keylessly or with a key: a Sigstore bundle, or the base64 signature.
    SignBlob(SignBlobArgs),
    /// Sign a file keylessly into a Sigstore bundle (the conformance suite's client protocol).
    SignBundle(SignBundleArgs),
    /// Verify a file's signature: a base64 signature with a key, or a Sigstore bundle.
    VerifyBlob(VerifyBlobArgs),
    /// Verify a Sigstore bundle over a file or a `sha256:<hex>` digest (keyless or with a key).
    VerifyBundle(VerifyBundleArgs),
    /// Kubernetes admission control: a validating and mutating webhook over ClusterImagePolicy.
    Admission(AdmissionArgs),
    /// Scan an SBOM, lockfile or directory for known vulnerabilities in an OSV database, offline.
    Scan(ScanArgs),
    /// The OSV database `scan` reads.
    Db(DbArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completion {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Write man pages: `supply.1` to standard output, or one page per command into a folder.
    Man {
        /// Write `supply.1` and `supply-<command>.1` into this folder.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub(crate) struct AdmissionArgs {
    #[command(subcommand)]
    pub(crate) action: AdmissionAction,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AdmissionAction {
    /// Serve the AdmissionReview webhook: POST /validate and /mutate (HTTPS), /healthz,
    /// /readyz, /metrics. Policies and the certificate reload on change or SIGHUP.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub(crate) policy: PolicyArgs,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    /// The server certificate chain (PEM).
    #[arg(long, value_name = "FILE", required_unless_present = "plain_http")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// The server's private key (PEM).
    #[arg(long, value_name = "FILE", required_unless_present = "plain_http")]
    pub(crate) tls_key: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:8443")]
    pub(crate) listen: std::net::SocketAddr,
    /// Serve plain HTTP instead of TLS: only on a loopback address, for local tests and
    /// benchmarks (the API server only calls HTTPS webhooks).
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    pub(crate) plain_http: bool,
    /// How many verdicts the cache keeps.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub(crate) cache_capacity: usize,
    /// How long a passing verdict is kept, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub(crate) cache_ttl: u64,
    /// How long a failing verdict is kept, in seconds (failures to verify are never kept).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub(crate) negative_cache_ttl: u64,
    /// Limit on one registry request, in seconds (one retry; a verification gives up after
    /// three times this).
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    pub(crate) registry_timeout: u64,
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub(crate) struct GenerateKeyPairArgs {
    /// Write `<PREFIX>.key` and `<PREFIX>.pub`.
    #[arg(long, default_value = "cosign", value_name = "PREFIX")]
    pub(crate) output_key_prefix: PathBuf,
    /// Overwrite existing files.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ImportKeyPairArgs {
    /// The unencrypted private key (PEM `PRIVATE KEY`, `EC PRIVATE KEY` or `RSA PRIVATE KEY`).
    #[arg(long, value_name = "FILE")]
    pub(crate) key: PathBuf,
    /// Write `<PREFIX>.key` and `<PREFIX>.pub`.
    #[arg(long, default_value = "import-cosign", value_name = "PREFIX")]
    pub(crate) output_key_prefix: PathBuf,
    /// Overwrite existing files.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SignArgs {
    /// The private key (cosign's encrypted format); password from COSIGN_PASSWORD,
    /// SUPPLY_PASSWORD or a prompt. Without it, signs keylessly (Fulcio + Rekor).
    #[arg(long, value_name = "FILE")]
    pub(crate) key: Option<PathBuf>,
    /// Annotation to sign along (`key=value`), repeatable.
    #[arg(short = 'a', long = "annotation", value_name = "KEY=VALUE", value_parser = parse_annotation)]
    pub(crate) annotations: Vec<(String, String)>,
    /// For an index, also sign every manifest it lists.
    #[arg(long)]
    pub(crate) recursive: bool,
    #[command(flatten)]
    pub(crate) format: FormatArgs,
    #[command(flatten)]
    pub(crate) keyless: KeylessArgs,
    #[command(flatten)]
    pub(crate) image: ImageArgs,
}

/// Where signatures and attestations go: a Sigstore bundle as an OCI 1.1 referrer (cosign v3's
/// default) or the legacy `.sig` / `.att` tags.
#[derive(Debug, Args)]
pub(crate) struct FormatArgs {
    /// Write a Sigstore bundle as an OCI 1.1 referrer (`=false` for the legacy tag, as in
    /// cosign). Default: bundles when keyless, the legacy tag with --key.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub(crate) new_bundle_format: Option<bool>,
    /// Write the legacy `.sig` / `.att` tag (same as --new-bundle-format=false).
    #[arg(long, conflicts_with = "new_bundle_format")]
    pub(crate) legacy_format: bool,
}

impl FormatArgs {
    /// Whether to write a bundle referrer.
    pub(crate) fn bundle(&self, keyless: bool) -> bool {
        !self.legacy_format && self.new_bundle_format.unwrap_or(keyless)
    }
}

/// A secret given on the command line: never shown by `Debug`.
#[derive(Clone)]
pub(crate) struct Secret(pub(crate) String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

fn parse_secret(text: &str) -> Result<Secret, String> {
    Ok(Secret(text.to_owned()))
}

/// Keyless signing: the identity token and the Sigstore services.
#[derive(Debug, Args)]
pub(crate) struct KeylessArgs {
    /// The OIDC identity token (or a file holding it). Default: SIGSTORE_ID_TOKEN, then GitHub
    /// Actions' token endpoint (needs `permissions: id-token: write`).
    #[arg(long, value_name = "TOKEN|FILE", value_parser = parse_secret)]
    pub(crate) identity_token: Option<Secret>,
    /// Fulcio's URL (a private Sigstore instance).
    #[arg(long, value_name = "URL")]
    pub(crate) fulcio_url: Option<String>,
    /// Rekor's URL.
    #[arg(long, value_name = "URL")]
    pub(crate) rekor_url: Option<String>,
    /// An RFC 3161 timestamp authority's URL (e.g. `https://host/api/v1/timestamp`).
    #[arg(long, value_name = "URL")]
    pub(crate) timestamp_server_url: Option<String>,
    /// A Sigstore SigningConfig (v0.2) naming the services.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["fulcio_url", "rekor_url", "timestamp_server_url"])]
    pub(crate) signing_config: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
}

#[derive(Debug, Args)]
#[command(after_help = EXIT_CODES)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    pub(crate) signer: SignerArgs,
    /// Annotation the signature must carry (`key=value`), repeatable.
    #[arg(short = 'a', long = "annotation", value_name = "KEY=VALUE", value_parser = parse_annotation)]
    pub(crate) annotations: Vec<(String, String)>,
    #[command(flatten)]
    pub(crate) policy: PolicyArgs,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    /// Image reference(s) (`registry/repository[:tag][@digest]`); several with --policy.
    #[arg(required = true, value_name = "IMAGE")]
    pub(crate) images: Vec<String>,
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub(crate) output: OutputFormat,
}

/// Admission policies: sigstore policy-controller's `ClusterImagePolicy` files.
#[derive(Debug, Args)]
pub(crate) struct PolicyArgs {
    /// A ClusterImagePolicy YAML file (policy.sigstore.dev/v1beta1 or v1alpha1, several
    /// documents allowed), repeatable: every policy matching an image must pass.
    #[arg(long = "policy", value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// The Sigstore trusted root (JSON) a policy's `trustRootRef: NAME` names, repeatable.
    #[arg(long = "trust-root", value_name = "NAME=FILE", value_parser = parse_named_path)]
    pub(crate) trust_roots: Vec<(String, PathBuf)>,
    /// What to do with an image no policy matches (policy-controller's no-match-policy).
    #[arg(long, value_enum, default_value_t = NoMatchArg::Deny)]
    pub(crate) no_match_policy: NoMatchArg,
}

#[derive(Clone, Copy, Debug, Eq, PartialEq, ValueEnum)]
pub(crate) enum NoMatchArg {
    Deny,
    Allow,
    Warn,
}

fn parse_named_path(text: &str) -> Result<(String, PathBuf), String> {
    match text.split_once('=') {
        Some((name, path)) if !name.is_empty() && !path.is_empty() => {
            Ok((name.to_owned(), PathBuf::from(path)))
        }
        _ => Err(format!("expected NAME=FILE, got {text:?}")),
    }
}

#[derive(Debug, Args)]
pub(crate) struct ProvenanceArgs {
    /// What was built: an image reference (its digest is resolved) or a file (hashed), repeatable.
    #[arg(long = "subject", value_name = "IMAGE|FILE", required = true)]
    pub(crate) subjects: Vec<String>,
    /// Write the statement here instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Builder id, for builds outside GitHub Actions and GitLab CI.
    #[arg(long)]
    pub(crate) builder_id: Option<String>,
    /// Source repository URI (with --builder-id).
    #[arg(long)]
    pub(crate) source_uri: Option<String>,
    /// Source ref (with --builder-id).
    #[arg(long)]
    pub(crate) source_ref: Option<String>,
    /// Source commit (with --builder-id).
    #[arg(long)]
    pub(crate) source_commit: Option<String>,
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub(crate) struct AttestArgs {
    /// The private key. Without it, attests keylessly (Fulcio + Rekor).
    #[arg(long, value_name = "FILE")]
    pub(crate) key: Option<PathBuf>,
    /// Predicate type: slsaprovenance1, slsaprovenance, cyclonedx, spdxjson, vuln, openvex,
    /// link, custom, or a URI.
    #[arg(long = "type", value_name = "TYPE")]
    pub(crate) predicate_type: String,
    /// The predicate (JSON); a whole in-toto statement is accepted too (its predicate is used).
    #[arg(long, value_name = "FILE")]
    pub(crate) predicate: PathBuf,
    /// Remove earlier attestations of the same type (legacy `.att` tag only).
    #[arg(long)]
    pub(crate) replace: bool,
    #[command(flatten)]
    pub(crate) format: FormatArgs,
    #[command(flatten)]
    pub(crate) keyless: KeylessArgs,
    #[command(flatten)]
    pub(crate) image: ImageArgs,
}

#[derive(Debug, Args)]
#[command(after_help = EXIT_CODES)]
pub(crate) struct VerifyAttestationArgs {
    #[command(flatten)]
    pub(crate) signer: SignerArgs,
    /// Predicate type to verify (same names as `attest --type`).
    #[arg(long = "type", value_name = "TYPE", default_value = "slsaprovenance1")]
    pub(crate) predicate_type: String,
    /// Policy file (TOML): builder id, source repository and ref, buildTypes; SBOM validity.
    #[arg(long, value_name = "FILE")]
    pub(crate) policy: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    #[command(flatten)]
    pub(crate) image: ImageArgs,
}

#[derive(Debug, Args)]
pub(crate) struct SignBlobArgs {
    /// The private key. Without it, signs keylessly (needs --bundle).
    #[arg(long, value_name = "FILE")]
    pub(crate) key: Option<PathBuf>,
    /// Also write the signature to this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) output_signature: Option<PathBuf>,
    /// Write a Sigstore bundle (v0.3) to this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) bundle: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) keyless: KeylessArgs,
    /// The file to sign.
    pub(crate) file: PathBuf,
}

/// The Sigstore conformance suite's `sign-bundle` client protocol: keyless signing of a file
/// (or, with --in-toto, of the in-toto statement it holds) into a bundle.
#[derive(Debug, Args)]
pub(crate) struct SignBundleArgs {
    /// Where to write the bundle.
    #[arg(long, value_name = "FILE")]
    pub(crate) bundle: PathBuf,
    /// The file is an in-toto statement to sign as a DSSE envelope.
    #[arg(long)]
    pub(crate) in_toto: bool,
    #[command(flatten)]
    pub(crate) keyless: KeylessArgs,
    /// The file to sign.
    pub(crate) file: PathBuf,
}

#[derive(Debug, Args)]
#[command(after_help = EXIT_CODES)]
pub(crate) struct VerifyBlobArgs {
    /// File holding the base64 signature (with --key).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "bundle",
        conflicts_with = "bundle"
    )]
    pub(crate) signature: Option<PathBuf>,
    /// A Sigstore bundle (keyless, or with --key).
    #[arg(long, value_name = "FILE")]
    pub(crate) bundle: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) signer: SignerArgs,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    /// The signed file.
    pub(crate) file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub(crate) output: OutputFormat,
}

/// The arguments of the Sigstore conformance suite's `verify-bundle` client protocol.
#[derive(Debug, Args)]
#[command(after_help = EXIT_CODES)]
pub(crate) struct VerifyBundleArgs {
    /// The Sigstore bundle.
    #[arg(long, value_name = "FILE")]
    pub(crate) bundle: PathBuf,
    #[command(flatten)]
    pub(crate) signer: SignerArgs,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    /// The signed file, or its digest as `sha256:<hex>` (when no such file exists).
    pub(crate) artifact: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub(crate) output: OutputFormat,
}

/// Which Sigstore instance to trust.
#[derive(Debug, Args)]
pub(crate) struct TrustArgs {
    /// A Sigstore trusted root (JSON) to use instead of the public-good one from TUF.
    #[arg(long, value_name = "FILE")]
    pub(crate) trusted_root: Option<PathBuf>,
    /// Use the public-good staging instance.
    #[arg(long)]
    pub(crate) staging: bool,
    /// A TUF repository to take the trusted root from (a private Sigstore instance), with
    /// --tuf-root as its trust anchor.
    #[arg(
        long,
        value_name = "URL",
        requires = "tuf_root",
        conflicts_with = "trusted_root"
    )]
    pub(crate) tuf_url: Option<String>,
    /// The pinned TUF root.json for --tuf-url.
    #[arg(long, value_name = "FILE", requires = "tuf_url")]
    pub(crate) tuf_root: Option<PathBuf>,
    /// Use only the cached TUF metadata (no network).
    #[arg(long)]
    pub(crate) offline: bool,
}

/// Whose signature is accepted: a key, or a keyless identity (cosign's flags).
#[derive(Debug, Args)]
pub(crate) struct SignerArgs {
    /// The public key (PEM `PUBLIC KEY`).
    #[arg(long, value_name = "FILE")]
    pub(crate) key: Option<PathBuf>,
    /// The certificate identity (its SAN: a workflow URI, an email) that must have signed.
    #[arg(long, value_name = "IDENTITY", conflicts_with = "key")]
    pub(crate) certificate_identity: Option<String>,
    /// A regular expression the whole identity must match.
    #[arg(long, value_name = "REGEXP", conflicts_with_all = ["key", "certificate_identity"])]
    pub(crate) certificate_identity_regexp: Option<String>,
    /// The OIDC issuer the identity must come from.
    #[arg(long, value_name = "URL", conflicts_with = "key")]
    pub(crate) certificate_oidc_issuer: Option<String>,
    /// A regular expression the whole issuer must match.
    #[arg(long, value_name = "REGEXP", conflicts_with_all = ["key", "certificate_oidc_issuer"])]
    pub(crate) certificate_oidc_issuer_regexp: Option<String>,
    /// GitHub workflow trigger (Fulcio extension 1.3.6.1.4.1.57264.1.2).
    #[arg(long, value_name = "EVENT")]
    pub(crate) certificate_github_workflow_trigger: Option<String>,
    /// GitHub workflow commit SHA (…1.3).
    #[arg(long, value_name = "SHA")]
    pub(crate) certificate_github_workflow_sha: Option<String>,
    /// GitHub workflow name (…1.4).
    #[arg(long, value_name = "NAME")]
    pub(crate) certificate_github_workflow_name: Option<String>,
    /// GitHub workflow repository, `owner/repo` (…1.5).
    #[arg(long, value_name = "REPOSITORY")]
    pub(crate) certificate_github_workflow_repository: Option<String>,
    /// GitHub workflow ref (…1.6).
    #[arg(long, value_name = "REF")]
    pub(crate) certificate_github_workflow_ref: Option<String>,
    /// Source repository URI (…1.12).
    #[arg(long, value_name = "URI")]
    pub(crate) certificate_source_repository_uri: Option<String>,
    /// Source repository digest (…1.13).
    #[arg(long, value_name = "DIGEST")]
    pub(crate) certificate_source_repository_digest: Option<String>,
    /// Source repository ref (…1.14).
    #[arg(long, value_name = "REF")]
    pub(crate) certificate_source_repository_ref: Option<String>,
    /// Any other Fulcio extension, by name (`runnerEnvironment=github-hosted`) or OID, repeatable.
    #[arg(long = "certificate-extension", value_name = "NAME=VALUE", value_parser = parse_annotation)]
    pub(crate) certificate_extensions: Vec<(String, String)>,
}

fn parse_annotation(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got {text:?}")),
    }
}

#[derive(Debug, Args)]
pub(crate) struct ImageArgs {
    /// Image reference (`registry/repository[:tag][@digest]`).
    pub(crate) image: String,
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub(crate) output: OutputFormat,
}

#[derive(Debug, Args)]
pub(crate) struct TriangulateArgs {
    #[command(flatten)]
    pub(crate) image: ImageArgs,
    /// Which attachment.
    #[arg(long = "type", value_enum, default_value_t = AttachmentArg::Sig)]
    pub(crate) kind: AttachmentArg,
}

/// How to reach and log in to registries.
#[derive(Debug, Args)]
pub(crate) struct RegistryArgs {
    /// User name for the registry (else `docker login` credentials are used).
    #[arg(long, global = true, requires = "password_source")]
    pub(crate) registry_username: Option<String>,
    /// Password for the registry (prefer --registry-password-stdin: arguments are visible to
    /// other users of the machine).
    #[arg(long, global = true, group = "password_source")]
    pub(crate) registry_password: Option<String>,
    /// Read the registry password from standard input.
    #[arg(long, global = true, group = "password_source")]
    pub(crate) registry_password_stdin: bool,
    /// Trust the CA certificates in this PEM file too (default: $SSL_CERT_FILE).
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) ca_file: Option<PathBuf>,
    /// Allow plain HTTP to registries (always allowed for localhost and 127.0.0.0/8).
    #[arg(long, global = true)]
    pub(crate) allow_insecure_registry: bool,
    /// Print how many HTTP exchanges with registries the command made (to standard error).
    #[arg(long, global = true)]
    pub(crate) show_round_trips: bool,
}

#[derive(Clone, Copy, Debug, Eq, PartialEq, ValueEnum)]
pub(crate) enum OutputFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum AttachmentArg {
    Sig,
    Att,
    Sbom,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct SbomArgs {
    #[command(subcommand)]
    pub(crate) action: Option<SbomAction>,
    /// A lockfile, or a directory to search for Cargo.lock, package-lock.json,
    /// npm-shrinkwrap.json, pnpm-lock.yaml, yarn.lock, uv.lock, poetry.lock and pylock.toml
    /// (skipping node_modules, target, .venv, .git, .yarn; one lockfile per ecosystem and
    /// directory, the choice noted on standard error).
    #[arg(default_value = ".")]
    pub(crate) path: PathBuf,
    /// Write the SBOM to this file (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// CycloneDX specification version.
    #[arg(long, value_enum, default_value_t = SpecVersionArg::V1_6)]
    pub(crate) spec_version: SpecVersionArg,
    /// Leave out packages only needed for development (dev dependencies, dependency groups).
    #[arg(long)]
    pub(crate) exclude_dev: bool,
    /// Name of what the SBOM describes (metadata.component). Default: the lockfile's root
    /// project; for a workspace with several roots, the package at the workspace root when
    /// the lockfile says which (else `root`).
    #[arg(long, value_name = "NAME")]
    pub(crate) name: Option<String>,
    /// Version of what the SBOM describes. Default: that of the lockfile's root project.
    #[arg(long, value_name = "VERSION")]
    pub(crate) version: Option<String>,
    /// Also attach the SBOM to this image as a signed CycloneDX attestation (with --key, or
    /// keylessly).
    #[arg(long, value_name = "IMAGE")]
    pub(crate) attest: Option<String>,
    /// Private key for --attest (without it, --attest signs keylessly).
    #[arg(long, value_name = "FILE", requires = "attest")]
    pub(crate) key: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) format: FormatArgs,
    #[command(flatten)]
    pub(crate) keyless: KeylessArgs,
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SbomAction {
    /// Check a CycloneDX 1.5/1.6 JSON file against the official schema and for dangling refs.
    Validate {
        /// The SBOM file.
        file: PathBuf,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum SpecVersionArg {
    #[value(name = "1.5")]
    V1_5,
    #[value(name = "1.6")]
    V1_6,
}

/// `supply scan`.
#[derive(Debug, Args)]
#[command(after_help = "Exit codes:
  0  no unsuppressed finding at or above --fail-on
  1  a finding at or above --fail-on
  2  usage or input error (a malformed SBOM, record or ignore file)
  3  the database is missing, or older than --max-db-age")]
pub(crate) struct ScanArgs {
    /// A CycloneDX JSON SBOM, a lockfile, a directory of lockfiles, or an image whose CycloneDX
    /// attestation is verified (with --key or a certificate identity) and then scanned.
    #[arg(required_unless_present = "report")]
    pub(crate) target: Option<PathBuf>,
    /// Instead of scanning: apply thresholds, exceptions and outputs to a Trivy or Grype JSON
    /// report.
    #[arg(long, value_name = "FILE", conflicts_with = "target")]
    pub(crate) report: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) signer: SignerArgs,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
    /// The OSV database: a directory of OSV JSON records (e.g. OSV's per-ecosystem exports,
    /// unpacked).
    #[arg(long, value_name = "DIR", required_unless_present = "report")]
    pub(crate) db: Option<PathBuf>,
    /// Fail (exit 1) on an unsuppressed finding at or above this severity (`any` includes
    /// findings of unknown severity).
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    pub(crate) fail_on: FailOn,
    /// Exceptions (TOML `[[ignore]]` entries: id, package, reason, expires).
    #[arg(long, value_name = "FILE")]
    pub(crate) ignore: Option<PathBuf>,
    /// VEX documents (OpenVEX, or CycloneDX with `vulnerabilities[].analysis`): `not_affected`
    /// / `fixed` statements suppress findings, their justification kept. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub(crate) vex: Vec<PathBuf>,
    /// Skip malformed records (counted in the report) instead of failing.
    #[arg(long)]
    pub(crate) skip_invalid_records: bool,
    /// Refuse a database whose newest record file is older than this many days (exit 3).
    #[arg(long, value_name = "DAYS")]
    pub(crate) max_db_age: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScanFormat::Table)]
    pub(crate) output: ScanFormat,
}

#[derive(Clone, Copy, Debug, Eq, PartialEq, ValueEnum)]
pub(crate) enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    Any,
}

#[derive(Clone, Copy, Debug, Eq, PartialEq, ValueEnum)]
pub(crate) enum ScanFormat {
    Table,
    Json,
    Sarif,
    /// The SBOM with a CycloneDX `vulnerabilities` array.
    Cyclonedx,
    /// cosign's vuln predicate (for `supply attest --type vuln`).
    CosignVuln,
}

#[derive(Debug, Args)]
pub(crate) struct DbArgs {
    #[command(subcommand)]
    pub(crate) action: DbAction,
}

#[derive(Debug, Subcommand)]
pub(crate) enum DbAction {
    /// Download the OSV archives (`<mirror>/<ecosystem>/all.zip`) into a folder; each replaces
    /// the old one only once it is complete and readable.
    Update {
        /// The mirror (OSV's layout: https://osv-vulnerabilities.storage.googleapis.com).
        #[arg(long, value_name = "URL")]
        mirror: String,
        /// The database folder (`scan --db`).
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// An ecosystem (crates.io, PyPI, npm), repeatable; default all three.
        #[arg(long = "ecosystem", value_name = "NAME")]
        ecosystems: Vec<String>,
        /// Limit on each download, in seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 600)]
        timeout: u64,
    },
}
