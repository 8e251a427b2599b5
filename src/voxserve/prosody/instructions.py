"""Free-text style instructions ("speak cheerfully", "用悲伤的语气") to an emotion and intensity."""

from __future__ import annotations

from types import MappingProxyType

_KEYWORDS = MappingProxyType(
    {
        "happy": (
            "cheer",
            "happy",
            "happi",
            "joy",
            "glad",
            "excit",
            "delight",
            "upbeat",
            "开心",
            "高兴",
            "快乐",
            "愉快",
            "兴奋",
            "欢快",
            "喜悦",
        ),
        "sad": (
            "sad",
            "sorrow",
            "melanchol",
            "gloom",
            "unhappy",
            "grief",
            "depress",
            "悲伤",
            "难过",
            "伤心",
            "忧伤",
            "沮丧",
            "哀伤",
        ),
        "angry": (
            "angry",
            "anger",
            "angri",
            "furious",
            "mad ",
            "rage",
            "annoyed",
            "irritat",
            "生气",
            "愤怒",
            "恼火",
            "气愤",
        ),
        "fear": (
            "fear",
            "afraid",
            "scared",
            "frighten",
            "terrif",
            "nervous",
            "anxious",
            "害怕",
            "恐惧",
            "紧张",
            "惊恐",
            "担心",
        ),
        "surprise": ("surpris", "amaz", "astonish", "shock", "惊讶", "吃惊", "意外", "惊奇"),
        "disgust": ("disgust", "gross", "revolt", "repuls", "厌恶", "恶心", "嫌弃", "反感"),
        "neutral": ("neutral", "calm", "plain", "flat", "平静", "中性", "正常"),
    }
)
_STRONGER = ("very", "extremely", "really", "super", "intense", "非常", "特别", "极其", "十分")
_WEAKER = ("slight", "a bit", "a little", "somewhat", "mild", "有点", "稍微", "略", "一点")


def emotion_from_instructions(instructions: str) -> tuple[str, float]:
    """The emotion and intensity a style instruction asks for; ``("neutral", 1.0)`` if none."""
    text = f" {instructions.lower()} "
    best, position = "neutral", len(text)
    for emotion, words in _KEYWORDS.items():
        for word in words:
            found = text.find(word)
            if 0 <= found < position:
                best, position = emotion, found
    if any(w in text for w in _STRONGER):
        return best, 1.6
    if any(w in text for w in _WEAKER):
        return best, 0.5
    return best, 1.0
