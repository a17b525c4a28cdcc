# supply's container image for users with Docker (scripts/release-image.sh builds the same
# shape without a daemon): a release build, then only the binary on distroless/cc, which
# brings glibc, libgcc_s and the CA bundle; non-root, no shell.
#   docker build -t supply .
#   docker run --rm -v "$PWD:/work" -w /work supply sbom .
FROM docker.io/library/rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p supply-cli \
    && install -D -m 0755 target/release/supply /out/supply

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/supply /usr/local/bin/supply
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/supply"]
