//! `certify keygen`: an Ed25519 key pair for signing evidence.

use crate::{
    cli::KeygenArgs,
    exit::{CmdResult, Exit, runtime},
    output::Printer,
};

pub fn keygen(args: &KeygenArgs, printer: &Printer) -> CmdResult {
    if let Some(parent) = args.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| runtime(format!("{}: cannot create the directory: {e}", parent.display())))?;
    }
    let (private, public) = certify_evidence::attest::keys::keygen(&args.out).map_err(runtime)?;
    let fingerprint =
        certify_evidence::attest::keys::load_public_key(&public).map(|k| k.fingerprint()).map_err(runtime)?;
    printer.data(format!(
        "private key: {} (mode 0600; keep it secret, point CERTIFY_SIGNING_KEY or [evidence] signing_key at it)",
        private.display()
    ));
    printer.data(format!(
        "public key:  {} (give it to whoever verifies: certify verify BUNDLE --key {})",
        public.display(),
        public.display()
    ));
    printer.data(format!("fingerprint: SHA256:{fingerprint}"));
    Ok(Exit::Success)
}
