//! `verify HOST REPOSITORY DIGEST PUBLIC_KEY_FILE`: sigstore-rs verifying an image's cosign
//! signatures, as a whole command, so `bench/registry.sh` can time it beside `supply verify`.

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [host, repository, digest, key] = args.as_slice() else {
        eprintln!("usage: verify HOST REPOSITORY DIGEST PUBLIC_KEY_FILE");
        return std::process::ExitCode::from(2);
    };
    let Ok(public_key) = std::fs::read_to_string(key) else {
        eprintln!("cannot read {key}");
        return std::process::ExitCode::from(2);
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(sigstore_interop::sigstore_verify(
        host,
        repository,
        digest,
        &public_key,
    )) {
        Ok(count) => {
            println!("{count} signature(s) verified");
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            std::process::ExitCode::from(1)
        }
    }
}
