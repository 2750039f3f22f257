"""The web app in English and Chinese: interface strings, the fixed vocabulary, reasons.

Three kinds of text:

- **Interface strings** (``translator``): every label, heading, button and message.
- **Vocabulary** (``term``): the fixed values the toolkit stores and shows as
  words: bands, review statuses, item verdicts, flag kinds, roles, history
  actions, appeal decisions, speakers, feature names and their word values.
- **Reasons** (``reason``): flag reasons, priorities, resolutions and evidence
  reasons are data, written by the toolkit in English from fixed templates. The
  templates the toolkit writes most (the scorer's and the review rules' flags,
  priorities, what a review resolved, risk events, holds and overtalk, the
  outcome estimate's signals, behaviour verdicts) are put into Chinese here;
  anything else, and every quote, stays as written: quotes in the call's own
  language, rubric titles and hints in the language the call was scored in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

LANGUAGES = ("en", "zh")

_STRINGS: dict[str, tuple[str, str]] = {
    "app": ("Call QA", "通话质检"),
    "queue": ("Flagged calls", "待复核通话"),
    "search": ("Search calls", "通话检索"),
    "assigned": ("Assigned to me", "分配给我"),
    "all_assigned": ("All assignments", "全部分配"),
    "cases": ("Case library", "案例库"),
    "calibration": ("Calibration", "校准"),
    "users": ("Users", "用户"),
    "my_page": ("My calls", "我的通话"),
    "sign_in": ("Sign in", "登录"),
    "sign_out": ("Sign out", "退出"),
    "user_name": ("Name", "用户名"),
    "password": ("Password", "密码"),
    "token": ("Token", "令牌"),
    "day": ("Day", "日期"),
    "calls": ("Calls", "通话数"),
    "flagged": ("Flagged", "已标记"),
    "flagged_only": ("Flagged only", "仅已标记"),
    "mean": ("Mean score", "平均分"),
    "auto_failed": ("Auto-failed", "一票否决"),
    "since": ("From", "起始"),
    "until": ("To", "截止"),
    "team": ("Team", "班组"),
    "agent": ("Agent", "坐席"),
    "kind": ("Flag", "标记类型"),
    "flags": ("Flags", "标记"),
    "status": ("Status", "状态"),
    "band": ("Band", "等级"),
    "sort": ("Sort", "排序"),
    "descending": ("Descending", "降序"),
    "filter": ("Filter", "筛选"),
    "find": ("Search", "检索"),
    "any": ("any", "全部"),
    "call": ("Call", "通话"),
    "call_id": ("Call id contains", "通话编号包含"),
    "text": ("Words said", "通话内容包含"),
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
    "share_of_call": ("share of the call", "通话进度"),
    "timeline": ("Timeline", "时间轴"),
    "features": ("Features", "指标"),
    "causes": ("Causes and what would have passed", "原因与改进"),
    "review": ("Review", "复核"),
    "history": ("History", "历史记录"),
    "reviewer": ("Reviewer", "复核人"),
    "comment": ("Comment", "备注"),
    "save": ("Save", "保存"),
    "change_verdict": ("Change the verdict", "修改判定"),
    "verdict": ("Verdict", "判定"),
    "item": ("Item", "评分项"),
    "whole_call": ("the whole result", "整体结果"),
    "new_status": ("New status", "新状态"),
    "reason": ("Reason", "理由"),
    "appeal": ("File an appeal", "提交申诉"),
    "appeal_item": ("Appeal this item", "对此项申诉"),
    "appeals": ("Appeals", "申诉"),
    "decide": ("Decide", "裁定"),
    "decision": ("Decision", "裁定结果"),
    "redacted": ("Personal data is masked.", "敏感信息已脱敏。"),
    "items_failed": ("Items failed most", "最常失分项"),
    "over_time": ("Score trend", "得分趋势"),
    "trend_note": (
        "each dot a call; the line the mean per day; dashed: the threshold",
        "每个点为一通电话；折线为每日平均分；虚线为达标线",
    ),
    "back": ("Back", "返回"),
    "back_queue": ("Back to the queue", "返回列表"),
    "none": ("None.", "无。"),
    "would_pass": ("Would pass", "若以下项通过即可达标"),
    "how_to_pass": ("How to pass", "如何达标"),
    "unreachable": ("No set of items reaches the threshold.", "任何评分项组合都无法达标。"),
    "machine_score": ("machine score", "系统评分"),
    "machine": ("Machine", "系统"),
    "flag_resolved": ("resolved", "已解除"),
    "conflict": ("conflict, not applied", "冲突，未生效"),
    "critical": ("critical", "关键项"),
    "na": ("n.a.", "不适用"),
    "assign": ("Assign", "分配"),
    "assign_me": ("Assign to me", "分配给我"),
    "assigned_to": ("Assigned to", "分配给"),
    "unassign": ("Remove the assignment", "取消分配"),
    "assigned_by": ("by", "分配人"),
    "assigner": ("Assigned by", "分配人"),
    "nobody": ("nobody", "未分配"),
    "comments": ("Comments", "评论"),
    "at": ("At (mm:ss)", "时间点（分:秒）"),
    "player_time": ("Use the player's time", "取播放器时间"),
    "add_comment": ("Add the comment", "添加评论"),
    "whole": ("whole call", "整通"),
    "coaching": ("Coaching notes", "辅导意见"),
    "note": ("Note", "内容"),
    "write_note": ("Send the note to the agent", "发送给坐席"),
    "acknowledge": ("Acknowledge", "确认已读"),
    "acknowledged": ("acknowledged", "已确认"),
    "awaiting_ack": ("awaiting acknowledgement", "待确认"),
    "reply": ("Reply", "回复"),
    "general": ("general", "通用"),
    "add_case": ("Add to the case library", "加入案例库"),
    "example": ("Example", "案例类型"),
    "good_example": ("good example", "正面案例"),
    "bad_example": ("bad example", "反面案例"),
    "tag": ("Tag", "标签"),
    "export": ("Export", "导出"),
    "remove": ("Remove", "移除"),
    "added_by": ("Added by", "添加人"),
    "sessions": ("Sessions", "校准会"),
    "new_session": ("New calibration session", "新建校准会"),
    "title": ("Title", "标题"),
    "call_ids": ("Call ids, one per line", "通话编号（每行一个）"),
    "members": ("Reviewers", "复核员"),
    "members_hint": ("names, separated by commas", "以逗号分隔"),
    "create": ("Create", "创建"),
    "close": ("Close the session", "结束校准会"),
    "closed": ("closed", "已结束"),
    "open_session": ("open", "进行中"),
    "progress": ("Progress", "进度"),
    "score_it": ("Score", "评分"),
    "your_verdicts": ("Your verdicts", "你的判定"),
    "blind_note": (
        "Blind: you see only your own verdicts; the results show when the session closes.",
        "盲评：只显示你自己的判定；校准会结束后公布结果。",
    ),
    "results": ("Agreement", "一致性"),
    "kappa": ("Kappa", "Kappa"),
    "agreement": ("Agreeing pairs", "一致比例"),
    "vs_machine": ("With the machine", "与系统一致"),
    "machine_kappa": ("Kappa with the machine", "与系统 Kappa"),
    "machine_fails": ("Machine fails", "系统判不通过"),
    "overall": ("All items", "全部评分项"),
    "n_calls": ("calls", "通话"),
    "verdicts": ("verdicts", "个判定"),
    "method": ("Method", "方法"),
    "role": ("Role", "角色"),
    "agent_id": ("Agent id (agents)", "坐席编号（坐席角色）"),
    "add_user": ("Add or change a user", "添加或修改用户"),
    "recent_calls": ("Recent calls", "最近通话"),
    "share_failed": ("of calls", "的通话"),
    "open_notes": ("Notes to acknowledge", "待确认意见"),
    "error": ("Error", "错误"),
    "home": ("Home", "首页"),
    "reload": ("Reload the call", "重新载入通话"),
    "detail": ("Detail", "详情"),
    "hold": ("hold", "保持等待"),
    "overtalk": ("overtalk", "抢话"),
    "risk": ("risk event", "风险事件"),
    "evidence": ("failed item's evidence", "失分证据"),
    "comment_mark": ("comment", "评论"),
    "e400": ("The request was not understood", "请求无法识别"),
    "e401": ("Please sign in", "请先登录"),
    "e403": ("Not allowed for your role", "您的角色无权访问"),
    "e404": ("Not found", "未找到"),
    "e409": (
        "Someone changed this in the meantime, or the step is not allowed now",
        "内容已被他人修改，或当前状态下不允许此操作",
    ),
    "e413": ("The request is too large", "请求过大"),
    "e429": (
        "Too many failed sign-ins from this address; try again in 10 minutes",
        "此地址登录失败次数过多，请 10 分钟后再试",
    ),
    "e500": ("Something went wrong on the server", "服务器出错"),
    "e501": ("Not available yet", "暂不可用"),
}

# The fixed values the toolkit stores, as words.
_TERMS: dict[str, tuple[str, str]] = {
    # bands
    "excellent": ("excellent", "优秀"),
    "good": ("good", "良好"),
    "needs_improvement": ("needs improvement", "待改进"),
    "poor": ("poor", "较差"),
    # review statuses
    "open": ("open", "待处理"),
    "in_review": ("in review", "复核中"),
    "confirmed": ("confirmed", "已确认"),
    "dismissed": ("dismissed", "已驳回"),
    # item verdicts
    "pass": ("pass", "通过"),
    "fail": ("fail", "不通过"),
    "na": ("n.a.", "不适用"),
    # appeal decisions and statuses
    "upheld": ("upheld", "申诉成立"),
    "rejected": ("rejected", "申诉驳回"),
    # roles
    "agent": ("agent", "坐席"),
    "reviewer": ("reviewer", "复核员"),
    "supervisor": ("supervisor", "主管"),
    "customer": ("customer", "客户"),
    "unknown": ("unknown", "未知"),
    # history actions
    "status": ("status", "状态"),
    "override": ("override", "改判"),
    "appeal_filed": ("appeal filed", "提交申诉"),
    "appeal_decided": ("appeal decided", "裁定申诉"),
    # cause categories
    "agent_skill": ("agent skill", "坐席技能"),
    "process": ("process", "流程"),
    "system": ("system", "系统"),
    "product_logistics": ("product or logistics", "产品或物流"),
    # calibration
    "cohen": ("Cohen", "Cohen"),
    "fleiss": ("Fleiss", "Fleiss"),
    # flag kinds
    "below_threshold": ("below threshold", "低于达标线"),
    "critical_failed": ("critical item failed", "关键项不通过"),
    "not_scorable": ("not scorable", "无法评分"),
    "likely_dissatisfied": ("likely dissatisfied", "客户可能不满"),
    "low_predicted_rating": ("low predicted rating", "预测评价偏低"),
    "empty_transcript": ("empty transcript", "转写为空"),
    "one_speaker": ("one speaker", "仅一方说话"),
    "risk_escalation": ("escalation", "要求升级"),
    "risk_cancel": ("cancel threat", "威胁销户"),
    "risk_regulator": ("regulator threat", "威胁投诉监管"),
    "risk_abuse": ("abuse", "辱骂"),
    "risk_blame": ("agent blames", "坐席指责"),
    "risk_deflect": ("agent deflects", "坐席推诿"),
    "escalation": ("escalation", "要求升级"),
    "negative_end": ("negative end", "结束时情绪负面"),
    "outlier": ("team outlier", "班组异常"),
    "sample": ("random sample", "随机抽检"),
    # sorts
    "priority": ("priority", "优先级"),
    "score": ("score", "得分"),
    "date": ("date", "日期"),
    "team": ("team", "班组"),
    "call": ("call id", "通话编号"),
    # feature word values
    "channel": ("by channel", "按声道"),
    "diarization": ("diarization", "说话人分离"),
    "given": ("given", "已给定"),
    "improving": ("improving", "好转"),
    "worsening": ("worsening", "恶化"),
    "flat": ("flat", "平稳"),
    "en": ("English", "英语"),
    "zh": ("Chinese", "中文"),
    "mixed": ("mixed", "混合"),
    "True": ("yes", "是"),
    "False": ("no", "否"),
}

# Feature names (qa_toolkit.features.specs.FEATURE_KEYS) as labels.
_FEATURES: dict[str, tuple[str, str]] = {
    "call_id": ("call id", "通话编号"),
    "language": ("language", "语言"),
    "speaker_source": ("speakers told apart", "说话人区分方式"),
    "has_timing": ("has timing", "有时间信息"),
    "has_audio": ("has audio", "有录音"),
    "turn_count": ("turns", "话轮数"),
    "agent_turns": ("agent turns", "坐席话轮"),
    "customer_turns": ("customer turns", "客户话轮"),
    "hold_request_count": ("hold requests", "请求等待次数"),
    "duration_s": ("duration (s)", "时长（秒）"),
    "talk_s": ("talk (s)", "说话时长（秒）"),
    "agent_talk_s": ("agent talk (s)", "坐席说话（秒）"),
    "customer_talk_s": ("customer talk (s)", "客户说话（秒）"),
    "agent_talk_share": ("agent talk share", "坐席说话占比"),
    "talk_share_agent": ("agent talk share", "坐席说话占比"),
    "customer_talk_share": ("customer talk share", "客户说话占比"),
    "silence_s": ("silence (s)", "静默（秒）"),
    "silence_share": ("silence share", "静默占比"),
    "longest_silence_s": ("longest silence (s)", "最长静默（秒）"),
    "dead_air_s": ("dead air (s)", "冷场（秒）"),
    "dead_air_share": ("dead air share", "冷场占比"),
    "dead_air_count": ("dead air gaps", "冷场次数"),
    "long_silence_count": ("long silences", "长静默次数"),
    "hold_count": ("holds", "保持等待次数"),
    "hold_s": ("hold (s)", "保持等待（秒）"),
    "longest_hold_s": ("longest hold (s)", "最长等待（秒）"),
    "overtalk_s": ("overtalk (s)", "抢话（秒）"),
    "overtalk_count": ("overtalk", "抢话次数"),
    "agent_overtalk_count": ("agent overtalk", "坐席抢话次数"),
    "customer_overtalk_count": ("customer overtalk", "客户抢话次数"),
    "agent_overtalk_s": ("agent overtalk (s)", "坐席抢话（秒）"),
    "customer_overtalk_s": ("customer overtalk (s)", "客户抢话（秒）"),
    "agent_words_per_min": ("agent words per minute", "坐席语速（词/分）"),
    "customer_words_per_min": ("customer words per minute", "客户语速（词/分）"),
    "first_response_s": ("first response (s)", "首次响应（秒）"),
    "first_response_latency_s": ("first response latency (s)", "首次响应延迟（秒）"),
    "mean_response_latency_s": ("mean response latency (s)", "平均响应延迟（秒）"),
    "max_response_latency_s": ("longest response latency (s)", "最长响应延迟（秒）"),
    "customer_sentiment_mean": ("customer sentiment, mean", "客户情绪均值"),
    "agent_sentiment_mean": ("agent sentiment, mean", "坐席情绪均值"),
    "customer_sentiment_min": ("customer sentiment, lowest", "客户情绪最低"),
    "customer_sentiment_start": ("customer sentiment, start", "客户情绪（开始）"),
    "customer_sentiment_end": ("customer sentiment, end", "客户情绪（结束）"),
    "customer_sentiment_delta": ("customer sentiment, change", "客户情绪变化"),
    "customer_trend": ("customer trend", "客户情绪走势"),
    "customer_negative_turns": ("customer negative turns", "客户负面话轮"),
    "negative_turns_answered": ("negative turns answered", "负面话轮得到回应"),
    "emotion_match_share": ("tone answers the customer", "语气匹配占比"),
    "agent_pitch_hz": ("agent pitch (Hz)", "坐席音高（赫兹）"),
    "customer_pitch_hz": ("customer pitch (Hz)", "客户音高（赫兹）"),
    "agent_energy_dbfs": ("agent loudness (dBFS)", "坐席响度（分贝）"),
    "customer_energy_dbfs": ("customer loudness (dBFS)", "客户响度（分贝）"),
    "agent_max_pitch_z": ("agent pitch peak (z)", "坐席音高峰值（标准分）"),
    "customer_max_pitch_z": ("customer pitch peak (z)", "客户音高峰值（标准分）"),
    "agent_max_energy_z": ("agent loudness peak (z)", "坐席响度峰值（标准分）"),
    "customer_max_energy_z": ("customer loudness peak (z)", "客户响度峰值（标准分）"),
    "agent_agitated_count": ("agent agitated turns", "坐席激动话轮"),
    "customer_agitated_count": ("customer agitated turns", "客户激动话轮"),
    "risk_count": ("risk events", "风险事件数"),
    "risk_escalation_count": ("escalation events", "升级事件数"),
    "risk_cancel_count": ("cancel threats", "销户威胁数"),
    "risk_regulator_count": ("regulator threats", "监管投诉威胁数"),
    "risk_abuse_count": ("abuse", "辱骂次数"),
    "risk_blame_count": ("agent blames", "坐席指责次数"),
    "risk_deflect_count": ("agent deflects", "坐席推诿次数"),
}
for _side, _name in (("customer", "客户"), ("agent", "坐席")):
    for _q in range(1, 5):
        _FEATURES[f"{_side}_sentiment_q{_q}"] = (f"{_side} sentiment, quarter {_q}",
                                                 f"{_name}情绪（第{_q}个四分之一）")  # fmt: skip


def translator(language: str) -> dict[str, str]:
    """The interface strings in ``language`` (English for any other value)."""
    index = 1 if language == "zh" else 0
    return {key: pair[index] for key, pair in _STRINGS.items()}


def term(language: str, value: object) -> str:
    """A stored value (band, status, flag kind, role, …) as a word in ``language``; a value
    the toolkit does not know is shown as stored."""
    text = str(value)
    pair = _TERMS.get(text)
    if pair is None:
        return text
    return pair[1 if language == "zh" else 0]


def feature_name(language: str, name: str) -> str:
    """A feature's label in ``language`` (its name when unknown)."""
    pair = _FEATURES.get(name)
    if pair is None:
        return name.replace("_", " ")
    return pair[1 if language == "zh" else 0]


# ------------------------------------------------------------------ reasons

# Whole sentences the toolkit writes, English → Chinese (risk events, outcome signals,
# holds, replies); longest first so a sentence inside another is not cut.
_SENTENCES: dict[str, str] = {
    "the customer asks for a supervisor or to escalate": "客户要求找主管或升级处理",
    "the customer threatens to cancel or leave": "客户威胁销户或离开",
    "the customer threatens a regulator, the media or legal action": (
        "客户威胁向监管、媒体投诉或采取法律行动"
    ),
    "swearing or an insult": "脏话或辱骂",
    "the agent blames the customer": "坐席指责客户",
    "the agent passes the customer to someone else": "坐席把客户推给他人",
    "the customer ends satisfied": "客户结束时满意",
    "the customer ends unresolved": "客户结束时问题未解决",
    "the customer ends escalating": "客户结束时要求升级",
    "the customer ends upset": "客户结束时不满",
    "the agent acts or commits": "坐席采取行动或作出承诺",
    "the agent ends by deflecting": "坐席以推诿结束",
    "the customer asks to escalate": "客户要求升级",
    "the agent asks the customer to hold": "坐席请客户稍等",
    "after the agent asked to hold": "坐席已请客户稍等",
    "unannounced": "未事先告知",
    "no rubric item applied to this call": "本通话没有适用的评分项",
    "the transcript has no utterances": "转写文本为空",
    "no flag": "无标记",
    "passes the customer on": "把客户推给他人",
    "greeting said": "已问候",
    "no clear next step": "没有明确的下一步",
    "customer asked for a manager": "客户要求找经理",
    "the transcript has no measured timing (text transcripts have none)": (
        "转写没有时间信息（文本转写没有）"
    ),
    "toward resolved": "计入已解决",
    "no evidence": "没有证据",
}

_Replacement = str | Callable[[re.Match[str]], str]
_Sub = tuple[re.Pattern[str], _Replacement]


# A template anchored at "^" also matches where a reason quotes another after a colon
# ("identity_verified failed at 00:12: no utterance showing …").
_START = r"(?:^|(?<=[：:] )|(?<=：))"


def _subs(*pairs: tuple[str, _Replacement]) -> tuple[_Sub, ...]:
    return tuple((re.compile(_START + p[1:] if p.startswith("^") else p), r) for p, r in pairs)


def _zh(value: str) -> str:
    return term("zh", value)


# Templates with values, applied in order; each replacement keeps the values.
_TEMPLATES = _subs(
    # A priority names its flag's kind first: "risk_escalation: at 00:13: …".
    (
        r"^([a-z]+(?:_[a-z]+)*): ",
        lambda m: f"{_zh(m.group(1))}：" if m.group(1) in _TERMS else m.group(0),
    ),  # fmt: skip
    (r"\breviewed score ([\d.]+) ≥ ([\d.]+) after ", r"复核后得分 \1 ≥ \2，因"),
    (r"\bno critical item fails after ", "复核后无关键项不通过，因"),
    (r"\ban item applies after ", "复核后有评分项适用，因"),
    (r" \(on review: (.*)\)$", r"（复核：\1）"),
    (r"(?<![A-Za-z])override of (\S+) by ([^,;()（）]+?)(?= and |[,;()（）]|$)", r"\2 改判 \1"),
    (
        r"(?<![A-Za-z])upheld appeal (\S+) on (\S+) by ([^,;()（）]+?)(?= and |[,;()（）]|$)",
        r"\3 支持申诉 \1（\2）",
    ),
    (r" and (\d+) more item verdict\(s\)", r" 等 \1 项改判"),
    (r"^score ([\d.]+) is below ([\d.]+)", r"得分 \1 低于 \2"),
    (r"^score ([\d.]+) < ([\d.]+)", r"得分 \1 < \2"),
    (
        r"^score ([\d.]+) is ([\d.]+) SD below team (.+)'s mean ([\d.]+) \(SD ([\d.]+), (\d+) "
        r"other calls\)",
        r"得分 \1 比班组 \3 的均值 \4 低 \2 个标准差（标准差 \5，其他 \6 通）",
    ),
    (r"^(\S+) failed on review: ", r"\1 复核判为不通过："),
    (r"^(\S+) failed at ([\d:.]+s?): ", r"\1 不通过（\2）："),
    (r"^(\S+) failed: ", r"\1 不通过："),
    (r"^only (\w+) heard; roles may be wrong", r"只听到 \1 一方；角色可能有误"),
    (
        r"^estimated satisfaction ([-+\d.]+) is below ([-+\d.]+) \(−2..2\); resolved (\d+)%",
        r"估计满意度 \1 低于 \2（−2..2）；解决概率 \3%",
    ),
    (
        r"^likely unresolved: resolved (\d+)%, satisfaction ([-+\d.]+) \(−2..2\)",
        r"可能未解决：解决概率 \1%，满意度 \2（−2..2）",
    ),
    (
        r"^likely dissatisfied: resolved (\d+)%, satisfaction ([-+\d.]+) \(−2..2\)",
        r"可能不满：解决概率 \1%，满意度 \2（−2..2）",
    ),
    (r"^low score: ([\d.]+)", r"低分：\1"),
    (r"^predicted low rating \((\d+)% likely\)", r"预测评价偏低（可能性 \1%）"),
    (r"^at ([\d:.]+s?): ", r"\1："),
    (r"^the customer ends at sentiment ([-\d.]+) \(≤ ([-\d.]+)\)", r"客户结束时情绪 \1（≤ \2）"),
    (
        r"^random sample of unflagged calls \(rate ([\d.]+), seed (\d+)\)",
        r"未标记通话的随机抽检（比例 \1，种子 \2）",
    ),
    (r"^hold of ([\d.]+) s, ", r"等待 \1 秒，"),
    (r"^(agent|customer) started while the other was speaking", r"\1在对方说话时插话"),
    (r"^the agent answered ([\d.]+) s after the customer", r"坐席在客户说完 \1 秒后回应"),
    (
        r"^the agent's first reply came ([\d.]+) s after the customer",
        r"坐席首次回应在客户说完 \1 秒后",
    ),
    (r"^applies only when '([^']+)' happens, and it did not", r"仅在发生“\1”时适用，本通话未发生"),
    (r"^(\w+) unknown: ", r"\1 未知："),
    (
        r"^estimated resolved (\d+)% ≥ (\d+)%; graded: (\d+)% of the points",
        r"估计解决概率 \1% ≥ \2%；按比例得 \3% 的分",
    ),
    (
        r"^estimated satisfaction ([-+\d.]+) \(−2..2\) ≥ ([-+\d.]+); graded: (\d+)% of the points",
        r"估计满意度 \1（−2..2）≥ \2；按比例得 \3% 的分",
    ),
    (r"\bp=([\d.]+) ≥ ([\d.]+)", r"概率 \1 ≥ \2"),
    (r"\bp=([\d.]+) < ([\d.]+)", r"概率 \1 < \2"),
    (r"^no utterance showing ", "没有体现"),
    (r"^closest: ", "最接近的："),
    (r" in the (agent|customer)'s turns", r"（\1话轮内）"),
    (r" in the (agent|customer)'s (first|last) (\d+) turns", r"（\1\2 \3 个话轮内）"),
    (r"; the first (agent|customer) utterance there was this", r"；该范围内第一句如下"),
    (r"; the likeliest was ", "；最接近的为"),
    (r"^no (\w+) \(", r"没有 \1（"),
    (r"^ends ", "结束时："),
    (r"^step (\w+): ", r"步骤 \1："),
    (r"^step (\w+) \(([^)]*)\) missing", r"缺少步骤 \1（\2）"),
    (r"^rubric category '(\w+)'", lambda m: f"评分标准的类别：{_zh(m.group(1))}"),
    (r"^(agent|customer|unknown) at (\d+)s: ", lambda m: f"{_zh(m.group(1))} {m.group(2)} 秒："),
)
_WORDS = {"agent": "坐席", "customer": "客户", "first": "前", "last": "后"}


def reason(language: str, text: str, names: Mapping[str, str] | None = None) -> str:
    """A reason the toolkit wrote, in ``language``: its fixed templates translated, values,
    quotes and unknown wording kept. ``names`` maps ids (items, behaviours) to the words to
    show for them (an item's title)."""
    if language != "zh" or not text:
        return text
    out = text
    for english in sorted(_SENTENCES, key=len, reverse=True):
        if english in out:
            out = out.replace(english, _SENTENCES[english])
    for pattern, replacement in _TEMPLATES:
        out = pattern.sub(replacement, out)
    out = _behaviours(out)
    for english, chinese in _WORDS.items():
        out = re.sub(rf"(?<![\w'])({english})(?=[在话前后一])", chinese, out)
    for key, shown in (names or {}).items():
        out = re.sub(rf"(?<![\w'\"]){re.escape(key)}(?![\w'\"])", shown, out)
    return out


def _behaviours(text: str) -> str:
    """``greeting (greets or welcomes the customer)`` → the behaviour's Chinese name."""
    for behaviour_id, english, chinese in _behaviour_names():
        text = text.replace(f"{behaviour_id} ({english})", chinese)
        text = text.replace(f"{behaviour_id}（{english}）", chinese)
        text = text.replace(f"({english})", f"（{chinese}）")
    return text


_BEHAVIOURS: list[tuple[str, str, str]] = []


def _behaviour_names() -> list[tuple[str, str, str]]:
    if not _BEHAVIOURS:
        from qa_toolkit.nlp.behaviour import BEHAVIOURS

        _BEHAVIOURS.extend((b.id, b.en, b.zh) for b in BEHAVIOURS)
    return _BEHAVIOURS


def chart_words(language: str) -> dict[str, str]:
    """The words a call's charts show (speakers, moment kinds, risk kinds, labels)."""
    t = translator(language)
    words = {k: term(language, k) for k in ("agent", "customer", "unknown")}
    words.update({k: t[k] for k in ("hold", "overtalk", "risk", "evidence", "comment_mark",
                                    "emotion", "share_of_call")})  # fmt: skip
    words.update(label=t["timeline"], no_data=t["none"], moments="")
    for kind in ("escalation", "cancel", "regulator", "abuse", "blame", "deflect"):
        words[f"risk_{kind}"] = term(language, f"risk_{kind}")
    return words


def bound(language: str) -> dict[str, Callable[..., str]]:
    """The template helpers for one language: ``L`` (a value), ``F`` (a feature name) and
    ``R`` (a reason)."""
    return {
        "L": lambda value: term(language, value),
        "F": lambda name: feature_name(language, name),
        "R": lambda text, names=None: reason(language, text, names),
    }
