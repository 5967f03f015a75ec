//! Metadata as people edit it: key/value rows in a form, read back into a map. The limits
//! (50 keys, 40-character keys, 500-character values) are the core's, so REST gets them too.

use crate::error::AppError;
use crate::model::Metadata;
use crate::ui::FieldError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of the editor, posted as `metadata[i][key]` and `metadata[i][value]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MetadataRow {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub value: String,
}

/// The metadata of the editor's rows. Rows without key and value are skipped, so clearing a
/// row removes its key; a value without a key, or a key given twice, is an error on `metadata`.
pub fn metadata_from_rows(rows: Vec<MetadataRow>) -> Result<Metadata, AppError> {
    let mut metadata = Metadata::new();
    for (index, row) in rows.into_iter().enumerate() {
        let key = row.key.trim();
        if key.is_empty() {
            if row.value.trim().is_empty() {
                continue;
            }
            return Err(AppError::invalid(
                "metadata",
                "metadata_key_missing",
                format!("Row {} has a value but no key.", index + 1),
            ));
        }
        if metadata.insert(key.to_owned(), row.value).is_some() {
            return Err(AppError::invalid(
                "metadata",
                "metadata_key_repeated",
                format!("The key {key:?} is given twice."),
            ));
        }
    }
    Ok(metadata)
}

/// Key/value rows for metadata, with one blank row to add a key. "Add a row" needs the app
/// loaded; without it every save offers a new blank row. `id` prefixes the element IDs: the
/// error is `{id}-error`.
#[component]
pub fn MetadataEditor(
    metadata: Metadata,
    error: Signal<Option<String>>,
    #[prop(default = "metadata")] id: &'static str,
) -> impl IntoView {
    let entries: Vec<(String, String)> = metadata.into_iter().collect();
    let (rows, set_rows) = signal(entries.len() + 1);
    let entries = StoredValue::new(entries);
    let invalid = move || error.get().is_some().to_string();
    view! {
        <fieldset class="metadata-editor" aria-describedby=format!("{id}-hint {id}-error") aria-invalid=invalid>
            <legend>"Metadata"</legend>
            <p id=format!("{id}-hint") class="hint muted">
                "Up to 50 keys of 1–40 characters, with values of up to 500. Clear a row to remove it."
            </p>
            <div class="metadata-rows">
                <For each=move || 0..rows.get() key=|index| *index let(index)>
                    {
                        let (key, value) = entries.with_value(|entries| entries.get(index).cloned().unwrap_or_default());
                        let (key_id, value_id) = (format!("{id}-key-{index}"), format!("{id}-value-{index}"));
                        view! {
                            <div class="metadata-row">
                                <div class="field">
                                    <label for=key_id.clone()>{format!("Key {}", index + 1)}</label>
                                    <input id=key_id name=format!("metadata[{index}][key]") value=key autocomplete="off" aria-invalid=invalid/>
                                </div>
                                <div class="field grow">
                                    <label for=value_id.clone()>{format!("Value {}", index + 1)}</label>
                                    <input id=value_id name=format!("metadata[{index}][value]") value=value autocomplete="off" aria-invalid=invalid/>
                                </div>
                            </div>
                        }
                    }
                </For>
            </div>
            <button
                type="button"
                class="button small ghost"
                on:click=move |_| set_rows.update(|rows| *rows += 1)
                disabled=move || { rows.get() >= 50 }
            >
                "Add a row"
            </button>
            <FieldError id=format!("{id}-error") message=error/>
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(pairs: &[(&str, &str)]) -> Vec<MetadataRow> {
        pairs.iter().map(|(key, value)| MetadataRow { key: (*key).into(), value: (*value).into() }).collect()
    }

    #[test]
    fn rows_skip_blanks_and_refuse_values_without_keys_or_repeated_keys() {
        let metadata = metadata_from_rows(rows(&[("tier", "gold"), ("", ""), (" region ", "eu")])).unwrap();
        assert_eq!(metadata, Metadata::from([("tier".into(), "gold".into()), ("region".into(), "eu".into())]));
        let orphan = metadata_from_rows(rows(&[("", "lost"), ("x", "y")])).unwrap_err();
        assert!(orphan.field_message("metadata").unwrap().contains("Row 1"));
        let twice = metadata_from_rows(rows(&[("a", "1"), ("a", "2")])).unwrap_err();
        assert!(twice.field_message("metadata").is_some());
    }
}
