"""The store's queries, written once for both backends over the primitives each backend
implements (`primitives.Primitives`), one mixin per kind of data; `Store` composes them."""
