"""The web app's interface strings in English and Chinese, and the language switch.

Only the interface is translated: call ids, agent names, quotes and rubric
titles are shown as they are stored.
"""

from __future__ import annotations

LANGUAGES = ("en", "zh")

_STRINGS: dict[str, tuple[str, str]] = {
    "app": ("Call QA", "通话质检"),
    "queue": ("Flagged calls", "待复核通话"),
    "day": ("Day", "日期"),
    "calls": ("Calls", "通话数"),
    "flagged": ("Flagged", "已标记"),
    "mean": ("Mean score", "平均分"),
    "auto_failed": ("Auto-failed", "一票否决"),
    "since": ("From", "起始"),
    "until": ("To", "截止"),
    "team": ("Team", "班组"),
    "agent": ("Agent", "坐席"),
    "kind": ("Flag", "标记类型"),
    "status": ("Status", "状态"),
    "band": ("Band", "等级"),
    "sort": ("Sort", "排序"),
    "filter": ("Filter", "筛选"),
    "any": ("any", "全部"),
    "call": ("Call", "通话"),
    "score": ("Score", "得分"),
    "priority": ("Priority", "优先级"),
    "outcome": ("Outcome (estimated)", "结果（估计）"),
    "resolved": ("Resolved", "已解决"),
    "satisfaction": ("Satisfaction", "满意度"),
    "date": ("Date", "日期"),
    "matching": ("calls match", "条匹配"),
    "page": ("Page", "页"),
    "prev": ("Previous", "上一页"),
    "next": ("Next", "下一页"),
    "recording": ("Recording", "录音"),
    "no_audio": ("The recording is not available.", "录音文件不可用。"),
    "transcript": ("Transcript", "转写文本"),
    "scorecard": ("Score card", "评分卡"),
    "emotion": ("Sentiment over the call", "情绪曲线"),
    "timeline": ("Timeline", "时间轴"),
    "features": ("Features", "指标"),
    "causes": ("Causes and what would have passed", "原因与改进"),
    "review": ("Review", "复核"),
    "history": ("History", "历史记录"),
    "reviewer": ("Reviewer", "复核人"),
    "comment": ("Comment", "备注"),
    "save": ("Save", "保存"),
    "override": ("Override item", "修改评分项"),
    "item": ("Item", "评分项"),
    "new_status": ("New status", "新状态"),
    "reason": ("Reason", "理由"),
    "appeal": ("File an appeal", "提交申诉"),
    "decide": ("Decide", "裁定"),
    "decision": ("Decision", "裁定结果"),
    "redacted": ("Personal data is masked.", "敏感信息已脱敏。"),
    "waiting": ("Not available yet: the review workflow is not installed.", "复核功能尚不可用。"),
    "items_failed": ("Items failed most", "最常失分项"),
    "over_time": ("Mean score per day", "每日平均分"),
    "back": ("Back to the queue", "返回列表"),
    "none": ("None.", "无。"),
    "would_pass": ("Would pass", "若以下项通过即可达标"),
    "how_to_pass": ("How to pass", "如何达标"),
    "unreachable": ("No set of items reaches the threshold.", "任何评分项组合都无法达标。"),
}


def translator(language: str) -> dict[str, str]:
    """The interface strings in ``language`` (English for any other value)."""
    index = 1 if language == "zh" else 0
    return {key: pair[index] for key, pair in _STRINGS.items()}
