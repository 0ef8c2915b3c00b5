//! Schema collection: the built-ins plus every `schema { }` block of every file.
//!
//! Custom fields may be declared more than once with the same type (two files of a set
//! often share a field); a different type is an error labelling both declarations. Tags
//! and secrets are unions.

use std::collections::HashMap;

use crate::ast::{self, FieldTypeKind, SchemaDecl};
use crate::diag::{Code, Diagnostic};
use crate::schema::{CustomField, Schema, Type};
use crate::source::{SourceId, SourceMap, Span};

/// Builds the schema of a set of files, reporting conflicting declarations.
pub(super) fn collect(
    sources: &SourceMap,
    files: &[ast::File],
    diags: &mut Vec<Diagnostic>,
) -> Schema {
    let mut schema = Schema::default();
    // Where each custom field was first declared: (file, declaration span).
    let mut fields: HashMap<String, (SourceId, Span)> = HashMap::new();
    for file in files {
        let text = sources.get(file.source);
        for item in &file.items {
            let ast::Item::Schema(block) = item else {
                continue;
            };
            for decl in &block.decls {
                match decl {
                    SchemaDecl::Field { span, name, ty } => {
                        let name = text.slice(name.span);
                        let ty = field_type(file.source, ty, diags);
                        add_field(
                            &mut schema,
                            &mut fields,
                            name,
                            ty,
                            (file.source, *span),
                            diags,
                        );
                    }
                    SchemaDecl::Tags { tags, .. } => {
                        for tag in tags {
                            if !schema.tags.contains(&tag.value) {
                                schema.tags.push(tag.value.clone());
                            }
                        }
                    }
                    SchemaDecl::Secret { name, .. } => {
                        let name = text.slice(name.span);
                        if !schema.has_secret(name) {
                            schema.secrets.push(name.to_string());
                        }
                    }
                }
            }
        }
    }
    schema
}

/// A declared type; a `one of` listing a value twice is reported and deduplicated.
fn field_type(file: SourceId, ty: &ast::FieldType, diags: &mut Vec<Diagnostic>) -> Type {
    match &ty.kind {
        FieldTypeKind::Text => Type::Text,
        FieldTypeKind::Number => Type::Number,
        FieldTypeKind::Bool => Type::Bool,
        FieldTypeKind::Timestamp => Type::Timestamp,
        FieldTypeKind::ListOfText => Type::ListOfText,
        FieldTypeKind::OneOf(values) => {
            let mut out: Vec<String> = Vec::with_capacity(values.len());
            for (i, value) in values.iter().enumerate() {
                if let Some(first) = values[..i].iter().find(|v| v.value == value.value) {
                    diags.push(
                        Diagnostic::new(
                            Code::DuplicateDeclaration,
                            format!("value `\"{}\"` is listed twice", value.value),
                            file,
                            value.span,
                        )
                        .with_label_message("listed again here")
                        .with_label(file, first.span, "first listed here")
                        .with_help("list each value of a `one of` type once"),
                    );
                } else {
                    out.push(value.value.clone());
                }
            }
            Type::OneOf(out)
        }
    }
}

fn add_field(
    schema: &mut Schema,
    fields: &mut HashMap<String, (SourceId, Span)>,
    name: &str,
    ty: Type,
    at: (SourceId, Span),
    diags: &mut Vec<Diagnostic>,
) {
    let Some(&(first_file, first_span)) = fields.get(name) else {
        fields.insert(name.to_string(), at);
        schema.custom_fields.push(CustomField {
            name: name.to_string(),
            ty,
        });
        return;
    };
    let Some(existing) = schema.custom_fields.iter().find(|f| f.name == name) else {
        return;
    };
    if existing.ty == ty {
        return;
    }
    diags.push(
        Diagnostic::new(
            Code::DuplicateDeclaration,
            format!(
                "custom field `{name}` is declared as {} and as {}",
                existing.ty.describe(),
                ty.describe()
            ),
            at.0,
            at.1,
        )
        .with_label_message(format!("declared as {} here", ty.describe()))
        .with_label(
            first_file,
            first_span,
            format!("first declared as {} here", existing.ty.describe()),
        )
        .with_help(format!(
            "give `{name}` one type in every schema block, or rename one of the fields"
        )),
    );
}
