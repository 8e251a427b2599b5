"""Round-trip CER and DNSMOS of one voice over a sentence set: the before/after figure for any
change to what a voice produces.

    .venv/bin/python bench/voice_quality.py [--voice zh-baker] [--set everyday] \\
        [--json out.json]

Run it on both checkouts (``PYTHONPATH=<other checkout>/src`` runs another tree with this
environment). Reports, averaged over the sentences: CER (Whisper base, the tests' transcriber)
and DNSMOS SIG/BAK/OVRL (PyPI ``speechmos``, 16 kHz), plus each sentence's CER.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tests.support.asr import Transcriber, score, to_whisper_rate

from texts import _ZH_SENTENCES
from voxserve.pipeline import Synthesizer
from voxserve.settings import Settings
from voxserve.types import SynthesisRequest

POLYPHONES = (
    "他是银行的行长，每天都要调查各地的情况。",
    "这条路很长，孩子们长大以后都走过。",
    "你得马上去医院，他跑得比谁都快。",
    "他背着书包上学，路上还在数星星。",
    "单先生和曾女士明天一起来开会。",
    "请把空调调小一点，音乐也关掉吧。",
    "我们一起重温这段历史，这个箱子很重。",
    "我还没吃饭，请把书还给我。",
    "他睡了一觉，觉得好多了。",
    "首都的人们都很热情，处理问题也很快。",
    "她的头发很长，要去理发店剪一下。",
    "这样做行不行？我觉得还行。",
)
NEUTRAL_TONE = (
    "我的朋友告诉我，这件事情他也不明白。",
    "妈妈让我看看窗户关好了没有。",
    "这件衣服很漂亮，穿着也舒服。",
    "谢谢你，麻烦你再说清楚一点。",
    "我认识他的时候，他还是个学生。",
    "姐姐喜欢吃豆腐和萝卜。",
    "今天晚上的月亮特别亮。",
    "你觉得这个地方怎么样？",
    "爷爷的眼睛不太好，耳朵也背了。",
    "他们收拾好东西，商量着明天的打算。",
    "不好意思，我记得你的名字，但是忘了怎么写。",
    "这孩子真聪明，什么都知道。",
)
TONE_SANDHI = (
    "你看一看这本书，好不好？",
    "这是不是你的钥匙？",
    "我们想一想再决定，行不行？",
    "你去不去公园散步？",
    "请你尝一尝我做的菜。",
    "他到底来不来参加会议？",
    "这件衣服贵不贵？",
    "你等一等，我马上就来。",
    "明天你忙不忙？",
    "你听一听这首歌，喜不喜欢？",
    "这个问题难不难？",
    "我们试一试这个新办法。",
)
THIRD_TONE = (
    "我想买五把小雨伞。",
    "展览馆里有很多古老的雨伞。",
    "你给我一点儿水，好吗？",
    "老李买了两把好酒。",
    "我很好，你也好吗？",
    "小组长请我们等一会儿。",
    "领导给我们讲了很久。",
    "这里的水果很好吃。",
    "我女儿喜欢在公园里玩儿。",
    "请你把窗户关好。",
    "我有五百本小说。",
    "他说你的手表很好看。",
)


def _openings() -> tuple[str, ...]:
    """The load benchmark's first sentences that have a clause to cut off when streamed."""
    from loadgen.corpus import CORPUS
    from voxserve.text.frontend import prepare

    firsts = (prepare(text)[0].text for text in CORPUS)
    return tuple(first for first in firsts if len(prepare(first, first_unit_chars=16)) > 1)


SETS = {
    "openings": _openings(),
    "everyday": _ZH_SENTENCES,
    "polyphones": POLYPHONES,
    "neutral-tone": NEUTRAL_TONE,
    "tone-sandhi": TONE_SANDHI,
    "third-tone": THIRD_TONE,
}


def measure(voice: str, sentences: tuple[str, ...], stream: bool = False) -> dict[str, Any]:
    from speechmos import dnsmos

    synthesizer = Synthesizer.load(Settings(engines="baker-zh,piper,espeak"))
    transcriber = Transcriber()
    rows = []
    for text in sentences:
        result = synthesizer.synthesize(SynthesisRequest(text=text, voice=voice), stream)
        audio = np.clip(to_whisper_rate(result.pcm, result.sample_rate), -1.0, 1.0)
        mos = dnsmos.run(audio, sr=16000)
        heard = transcriber.transcribe(result.pcm, result.sample_rate, "zh")
        mos = {key: float(value) for key, value in mos.items()}
        rows.append({"text": text, "heard": heard, "cer": score(text, heard, "zh"), **mos})
    return {
        "voice": voice,
        "sentences": len(rows),
        "cer": float(np.mean([r["cer"] for r in rows])),
        "sig": float(np.mean([r["sig_mos"] for r in rows])),
        "bak": float(np.mean([r["bak_mos"] for r in rows])),
        "ovrl": float(np.mean([r["ovrl_mos"] for r in rows])),
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--voice", default="zh-baker")
    parser.add_argument("--set", default="everyday", choices=sorted(SETS))
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--stream",
        action="store_true",
        help="plan each text as a stream does (a long first sentence cut after its first clause)",
    )
    args = parser.parse_args()
    report = measure(args.voice, SETS[args.set], args.stream)
    report["stream"] = args.stream
    print(
        f"{args.voice} {args.set}{' (stream)' if args.stream else ''}: "
        f"CER {report['cer']:.3f}  SIG {report['sig']:.2f}  "
        f"BAK {report['bak']:.2f}  OVRL {report['ovrl']:.2f}  ({report['sentences']} sentences)"
    )
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
