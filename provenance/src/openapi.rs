//! The service's OpenAPI 3.1 description, served at `/openapi.json`. Written by hand beside
//! the routes in [`crate::service`]; a test checks that every route is described.

use serde_json::{json, Value};

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn ok(schema: &str) -> Value {
    json!({"description": "the answer", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
}

/// The document.
pub fn document() -> Value {
    let errors = json!({
        "400": error_response("bad input (`error` names it)"),
        "413": error_response("the body is over the limit"),
        "414": error_response("the URL is over 8 KiB"),
        "429": error_response("rate limited; see Retry-After"),
        "503": error_response("the index cannot answer now, or the request timed out"),
    });
    let with = |ok: Value| {
        let mut r = errors.clone();
        r["200"] = ok;
        r
    };
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Assent provenance",
            "version": "1",
            "description": "Was a page, a site or a text used in this corpus, under what licence, in which models; every answer with an RFC 6962 inclusion proof against a C2SP checkpoint signed with Ed25519. No endpoint returns document text.",
        },
        "paths": {
            "/v1/url": {"get": {
                "summary": "What the corpus did with a URL",
                "parameters": [{"name": "u", "in": "query", "required": true, "schema": {"type": "string"}}],
                "responses": with(ok("UrlAnswer")),
            }},
            "/v1/domain/{domain}": {"get": {
                "summary": "The records of a domain and its subdomains, a page at a time",
                "parameters": [
                    {"name": "domain", "in": "path", "required": true, "schema": {"type": "string"}},
                    {"name": "after", "in": "query", "required": false, "schema": {"type": "string"}, "description": "the `next` of the page before"},
                    {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
                ],
                "responses": with(ok("DomainAnswer")),
            }},
            "/v1/text": {"post": {
                "summary": "Exact copies, near-duplicates and shared sentences of a text",
                "requestBody": {"required": true, "content": {
                    "application/json": {"schema": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}},
                    "text/plain": {"schema": {"type": "string"}},
                }},
                "responses": with(ok("TextAnswer")),
            }},
            "/v1/checkpoint": {"get": {
                "summary": "Both trees' signed checkpoints and the verifier key",
                "responses": with(ok("Checkpoint")),
            }},
            "/v1/consistency": {"get": {
                "summary": "Proof that a tree of an earlier size is a prefix of the tree now",
                "parameters": [
                    {"name": "from", "in": "query", "required": true, "schema": {"type": "integer", "minimum": 1}},
                    {"name": "tree", "in": "query", "required": false, "schema": {"type": "string", "enum": ["kept", "refused"], "default": "kept"}},
                ],
                "responses": with(ok("Consistency")),
            }},
            "/v1/opt-out": {"post": {
                "summary": "Ask for a domain or URL prefix to be left out; returns the token to serve at /.well-known/assent-opt-out.txt on its origin",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["scope"], "properties": {
                    "scope": {"type": "string", "description": "example.org, or https://example.org/blog/"},
                    "origin": {"type": "string", "description": "where the token is served, scheme://host[:port] of the scope's host; default https then http"},
                }}}}},
                "responses": with(ok("OptOut")),
            }},
            "/v1/opt-out/{id}": {"get": {
                "summary": "An opt-out request's state",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": with(ok("OptOut")),
            }},
            "/v1/opt-out/{id}/verify": {"post": {
                "summary": "Fetch the token from the origin; when found, the scope goes into the opt-out registry",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": with(ok("OptOut")),
            }},
        },
        "components": {"schemas": {
            "OptOut": {"type": "object", "properties": {
                "id": {"type": "string"}, "scope": {"type": "string"}, "token": {"type": "string"},
                "token_urls": {"type": "array", "items": {"type": "string"}},
                "status": {"type": "string", "enum": ["pending", "verified"]},
                "verify": {"type": "string"}, "requested_at": {"type": "string"}, "verified_at": {"type": ["string", "null"]},
            }},
            "Error": {"type": "object", "required": ["error", "message"], "properties": {
                "error": {"type": "string", "enum": ["bad_url", "bad_domain", "bad_cursor", "bad_text", "bad_tree", "bad_size", "bad_json", "not_found", "too_large", "url_too_long", "rate_limited", "timeout", "index_unavailable", "bad_scope", "bad_origin", "not_verified", "too_many_pending", "unavailable"]},
                "message": {"type": "string"},
            }},
            "Proof": {"type": "object", "required": ["tree", "leaf", "leaf_index", "tree_size", "inclusion_path"], "properties": {
                "tree": {"type": "string", "enum": ["kept", "refused"]},
                "leaf": {"type": "string", "contentEncoding": "base64", "description": "the leaf's bytes, assent-leaf/1"},
                "leaf_index": {"type": "integer"},
                "tree_size": {"type": "integer"},
                "inclusion_path": {"type": "array", "items": {"type": "string", "contentEncoding": "base64"}},
            }},
            "Model": {"type": "object", "properties": {
                "name": {"type": "string"}, "run": {"type": "string"},
                "training_manifest_sha256": {"type": "string"}, "created_at": {"type": "string"},
            }},
            "UrlAnswer": {"type": "object", "required": ["url", "status", "reasons", "models"], "properties": {
                "url": {"type": "string"},
                "status": {"type": "string", "enum": ["kept", "refused", "dropped", "unknown"]},
                "decision": {"type": ["string", "null"]},
                "reasons": {"type": "array", "items": {"type": "string"}},
                "licence": {"type": ["string", "null"]},
                "evidence": {"description": "the consent evidence, as the corpus holds it"},
                "evidence_json": {"type": ["string", "null"], "description": "the evidence's exact bytes; their sha256 is the leaf's evidence_sha256"},
                "doc_id": {"type": ["string", "null"]},
                "shard": {"type": ["string", "null"]},
                "row": {"type": ["integer", "null"]},
                "models": {"type": "array", "items": {"$ref": "#/components/schemas/Model"}},
                "proof": {"oneOf": [{"$ref": "#/components/schemas/Proof"}, {"type": "null"}]},
                "checkpoint": {"type": ["string", "null"], "description": "the signed note of the proof's tree"},
                "history": {"type": "array"},
            }},
            "DomainAnswer": {"type": "object", "properties": {
                "domain": {"type": "string"}, "kept": {"type": "integer"}, "refused": {"type": "integer"},
                "dropped": {"type": "integer"}, "items": {"type": "array"}, "next": {"type": ["string", "null"]},
                "models": {"type": "array", "items": {"$ref": "#/components/schemas/Model"}},
            }},
            "TextAnswer": {"type": "object", "properties": {
                "sentences": {"type": "integer"}, "sentences_found": {"type": "integer"},
                "exact": {"type": "array"}, "near": {"type": "array"}, "shared_sentences": {"type": "array"},
            }},
            "Checkpoint": {"type": "object", "properties": {
                "origin": {"type": "string"}, "vkey": {"type": "string", "description": "C2SP vkey"},
                "kept": {"type": "object"}, "refused": {"type": "object"},
            }},
            "Consistency": {"type": "object", "properties": {
                "tree": {"type": "string"}, "from": {"type": "integer"}, "to": {"type": "integer"},
                "proof": {"type": "array", "items": {"type": "string", "contentEncoding": "base64"}},
                "checkpoint": {"type": "string"},
            }},
        }},
    })
}
