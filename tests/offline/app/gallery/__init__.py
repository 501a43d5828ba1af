"""A small media-search application: the real-library offline tests scan, lock and run it.

Every function loads its models the way the libraries' own documentation shows, by Hub id;
``LOADS`` names them all, so a test can call each in a fresh process.
"""

# module:function of every loading entry point, with the Hub ids each one loads
LOADS: dict[str, tuple[str, ...]] = {
    "gallery.text:load_query_tokenizer": ("tiny/tokenizer-only",),
    "gallery.text:load_encoder": ("tiny/bert",),
    "gallery.text:load_tagger": ("tiny/classifier",),
    "gallery.text:load_chat": ("tiny/gpt2",),
    "gallery.text:load_custom_model": ("tiny/remote-code",),
    "gallery.text:load_custom_model_shared_code": ("tiny/remote-elsewhere", "tiny/remote-code"),
    "gallery.search:load_embedder": ("tiny/embedder",),
    "gallery.images:load_thumbnailer": ("tiny/ddpm",),
    "gallery.images:load_image_tagger": ("tiny/timm",),
    "gallery.images:load_matcher": ("tiny/clip",),
    "gallery.images:load_siglip_matcher": ("tiny/siglip-like",),
    "gallery.images:load_matcher_shared_tokenizer": (
        "tiny/clip-shared-tokenizer",
        "tiny/tokenizer-only",
    ),
    "gallery.adapters:load_tuned_encoder": ("tiny/lora", "tiny/bert"),
}
