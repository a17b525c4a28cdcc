//! Gives libsupply.so a SONAME that changes when the C ABI may change: `libsupply.so.0.MINOR`
//! while the major version is 0 (every minor release may break), `libsupply.so.MAJOR` after.

fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_default();
    let minor = std::env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_default();
    let soname = if major == "0" {
        format!("libsupply.so.0.{minor}")
    } else {
        format!("libsupply.so.{major}")
    };
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
