//! Reading the macro's tokens: a path literal and `key = value` options.

use syn::parse::{Parse, ParseStream};
use syn::{Ident, Lit, LitStr, Token};

/// `"dir"` followed by optional `, key = literal` pairs.
pub struct MacroInput {
    pub dir: LitStr,
    pub dialect: Option<LitStr>,
    pub version_table: Option<LitStr>,
    pub require_build_script: Option<bool>,
    /// `max_file_size = 1048576` or `= "1 MiB"`, with the literal for spans.
    pub max_file_size: Option<(u64, Lit)>,
}

impl Parse for MacroInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(input.error(
                "expected the migration directory, e.g. `embed_migrations!(\"migrations\")`",
            ));
        }
        let dir: LitStr = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected the migration directory as a string literal, e.g. `embed_migrations!(\"migrations\")`",
            )
        })?;
        let mut parsed = MacroInput {
            dir,
            dialect: None,
            version_table: None,
            require_build_script: None,
            max_file_size: None,
        };
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            let value: Lit = input.parse()?;
            let duplicate = || {
                syn::Error::new_spanned(&key, format!("option `{key}` is given twice; keep one"))
            };
            match (key.to_string().as_str(), value) {
                ("dialect", Lit::Str(s)) => {
                    if parsed.dialect.replace(s).is_some() {
                        return Err(duplicate());
                    }
                }
                ("version_table", Lit::Str(s)) => {
                    if parsed.version_table.replace(s).is_some() {
                        return Err(duplicate());
                    }
                }
                ("require_build_script", Lit::Bool(b)) => {
                    if parsed.require_build_script.replace(b.value).is_some() {
                        return Err(duplicate());
                    }
                }
                ("max_file_size", lit @ (Lit::Int(_) | Lit::Str(_))) => {
                    let size = match &lit {
                        Lit::Int(n) => n.base10_parse::<u64>().ok(),
                        Lit::Str(s) => migrate_core::parse_size(&s.value()),
                        _ => None,
                    }
                    .filter(|&n| n > 0)
                    .ok_or_else(|| {
                        syn::Error::new_spanned(
                            &lit,
                            "`max_file_size` takes a number of bytes or a size such as \"16 MiB\", \"512 KiB\" or \"1 GiB\"",
                        )
                    })?;
                    if parsed.max_file_size.replace((size, lit)).is_some() {
                        return Err(duplicate());
                    }
                }
                ("max_file_size", other) => {
                    return Err(syn::Error::new_spanned(
                        other,
                        "`max_file_size` takes a number of bytes or a size such as \"16 MiB\"",
                    ));
                }
                ("dialect" | "version_table", other) => {
                    return Err(syn::Error::new_spanned(
                        other,
                        format!("`{key}` takes a string literal"),
                    ));
                }
                ("require_build_script", other) => {
                    return Err(syn::Error::new_spanned(
                        other,
                        "`require_build_script` takes `true` or `false`",
                    ));
                }
                _ => {
                    return Err(syn::Error::new_spanned(
                        &key,
                        format!(
                            "unknown option `{key}`; the options are `dialect`, `version_table`, `max_file_size` and `require_build_script`"
                        ),
                    ));
                }
            }
        }
        Ok(parsed)
    }
}
