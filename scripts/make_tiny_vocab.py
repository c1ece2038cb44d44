#!/usr/bin/env python3
"""Writes src/main/resources/org/calico/text/tiny-vocab.txt: the word vocabulary of the tiny synthetic model.
Specials first (<unk>, <s>, </s>, <pad>), then every word of CALICO's prompt templates and the llava_v1
conversation template (split like WordTokenizer: lower-cased words and single punctuation), identifiers
image1..image16, digits, and common object / part names (PACO / PartImageNet / ADE20K-Part flavoured)."""
import os
import re

WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[^\s\w]|_", re.UNICODE)
texts = [
    "A chat between a curious human and an artificial intelligence assistant. "
    "The assistant gives helpful, detailed, and polite answers to the human's questions.",
    "USER: ASSISTANT:",
    "The <image> (IMAGE1) provides an overview of the picture.",
    "The <image> (IMAGE1), <image> (IMAGE2) and <image> (IMAGE3) provide an overview of the pictures.",
    "Can you segment the common object in these images?",
    "Can you segment the common parts of the objects in these images?",
    "Can you segment the unique parts of the objects in these images?",
    "The common object is the . The common parts are the and . The unique parts are the in and the in .",
    "Sure, it is there are no here segmentation mask masks for both each image this that with without left right "
    "top bottom front rear upper lower inner outer small large",
]
objects = ("chair sofa couch table desk bed bench stool cabinet lamp bottle cup mug bowl plate spoon fork knife kettle "
           "teapot pot pan scissors bicycle motorbike motorcycle car bus truck train airplane boat ship dog cat horse "
           "cow sheep bird fish snake monkey person guitar piano clock laptop keyboard mouse phone television tv "
           "umbrella bag backpack suitcase shoe hat bucket broom hammer screwdriver wrench pliers toaster microwave "
           "refrigerator oven sink toilet bathtub faucet door window fence").split()
parts = ("seat back leg legs arm arms wheel wheels handle handles saddle frame door window headlight taillight mirror "
         "tail head ear ears eye eyes nose mouth wing wings engine propeller cushion pillow base shade cap neck body "
         "blade tine tines spout lid string strings fin fins foot feet paw paws hand torso hood roof bumper "
         "license plate pedal pedals chain fork handlebar rim tire spoke spokes stretcher apron drawer top bottom "
         "side panel screen button knob bulb cord cover trunk hull deck mast sail").split()
words = []
seen = set()
for w in ["<unk>", "<s>", "</s>", "<pad>"]:
    words.append(w)
    seen.add(w)


def add(w):
    if w not in seen:
        seen.add(w)
        words.append(w)


for t in texts:
    for w in WORD.findall(t.replace("<image>", " ").lower()):
        add(w)
for k in range(1, 17):
    add(f"image{k}")
for d in range(10):
    add(str(d))
for w in objects + parts:
    add(w)
out = os.path.join(os.path.dirname(__file__), "..", "src", "main", "resources", "org", "calico", "text", "tiny-vocab.txt")
with open(out, "w") as f:
    f.write("\n".join(words) + "\n")
print(len(words), "words ->", out)
