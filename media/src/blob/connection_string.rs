//! Azure Storage connection strings (`AccountName=…;AccountKey=…;BlobEndpoint=…`),
//! parsed here because `object_store` takes the parts, not the string.

use secrecy::SecretString;

use super::{AzureAccount, BlobError};

/// The emulator's well-known development account (public, documented by Microsoft).
const DEV_ACCOUNT: &str = "devstoreaccount1";
const DEV_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// Reads a connection string into an account for `container`.
pub fn parse(connection_string: &str, container: &str) -> Result<AzureAccount, BlobError> {
    let mut account = None;
    let mut key = None;
    let mut blob_endpoint = None;
    let mut protocol = "https".to_owned();
    let mut suffix = "core.windows.net".to_owned();
    let mut development = false;
    for part in connection_string.split(';').map(str::trim) {
        if part.is_empty() {
            continue;
        }
        let (name, value) = part.split_once('=').ok_or_else(|| {
            BlobError::Config("a connection string part is not NAME=VALUE".into())
        })?;
        match name.to_ascii_lowercase().as_str() {
            "accountname" => account = Some(value.to_owned()),
            "accountkey" => key = Some(value.to_owned()),
            "blobendpoint" => blob_endpoint = Some(value.trim_end_matches('/').to_owned()),
            "defaultendpointsprotocol" => protocol = value.to_ascii_lowercase(),
            "endpointsuffix" => suffix = value.to_owned(),
            "usedevelopmentstorage" => development = value.eq_ignore_ascii_case("true"),
            // Endpoints of other services and SAS parts are not needed for blobs.
            _ => {}
        }
    }
    if development {
        account.get_or_insert_with(|| DEV_ACCOUNT.to_owned());
        key.get_or_insert_with(|| DEV_KEY.to_owned());
        blob_endpoint.get_or_insert_with(|| format!("http://127.0.0.1:10000/{DEV_ACCOUNT}"));
    }
    let account =
        account.ok_or_else(|| BlobError::Config("connection string has no AccountName".into()))?;
    let key = key.ok_or_else(|| BlobError::Config("connection string has no AccountKey".into()))?;
    if protocol != "https" && protocol != "http" {
        return Err(BlobError::Config(
            "DefaultEndpointsProtocol must be http or https".into(),
        ));
    }
    let endpoint = blob_endpoint.unwrap_or_else(|| format!("{protocol}://{account}.blob.{suffix}"));
    Ok(AzureAccount {
        account,
        key: SecretString::from(key),
        endpoint: Some(endpoint),
        container: container.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn an_azurite_connection_string_keeps_its_blob_endpoint() {
        let a = parse(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=abc==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1/;",
            "recordings",
        )
        .unwrap();
        assert_eq!(a.account, "devstoreaccount1");
        assert_eq!(a.key.expose_secret(), "abc==");
        assert_eq!(
            a.endpoint.as_deref(),
            Some("http://127.0.0.1:10000/devstoreaccount1")
        );
        assert_eq!(a.container, "recordings");
    }

    #[test]
    fn a_cloud_connection_string_builds_the_endpoint_from_the_suffix() {
        let a = parse(
            "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=k=;EndpointSuffix=core.windows.net",
            "c",
        )
        .unwrap();
        assert_eq!(
            a.endpoint.as_deref(),
            Some("https://acme.blob.core.windows.net")
        );
    }

    #[test]
    fn development_storage_means_the_emulator() {
        let a = parse("UseDevelopmentStorage=true", "c").unwrap();
        assert_eq!(a.account, DEV_ACCOUNT);
    }

    #[test]
    fn missing_parts_are_named_without_echoing_secrets() {
        let err = parse("AccountName=acme", "c").unwrap_err().to_string();
        assert!(err.contains("AccountKey"), "{err}");
        let err = parse("AccountKey=supersecret", "c")
            .unwrap_err()
            .to_string();
        assert!(err.contains("AccountName") && !err.contains("supersecret"));
        let err = parse("garbage-supersecret", "c").unwrap_err().to_string();
        assert!(!err.contains("supersecret"), "{err}");
    }
}
