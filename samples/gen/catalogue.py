"""The sample batch, submission by submission: who applies, what is wrong, how the files look."""

from __future__ import annotations

import random
from collections.abc import Callable

from . import rules
from .codes import break_check_char, make_org_code, make_uscc
from .identities import Identities
from .model import FileSpec, FormData, JointUnit, LetterData, Profile, Submission
from .narrative import NarrativeSpec, compose

SEED = "metaverse-samples-2023"

FORM_DOCX = "附件1-需求征集表.docx"
LETTER_DOCX = "附件2-建设承诺书.docx"


def _rng(key: str, what: str) -> random.Random:
    return random.Random(f"{SEED}:{key}:{what}")


def _files(*specs: tuple) -> list[FileSpec]:
    return [FileSpec(*spec) for spec in specs]


def _letter(
    form: FormData,
    date_text: str | None,
    date_iso: str | None,
    seal: str | None,
    *,
    legal_rep: str | None,
    bracket: bool = True,
    phone: str = "mobile",
    clauses: list[str] | None = None,
    scenario_name: str | None = None,
) -> LetterData:
    name = scenario_name or form.scenario_name
    contact = form.contact
    return LetterData(
        scenario_name=f"《{name}》" if bracket else f" {name} ",
        clauses=clauses or rules.official_clauses(),
        contact=contact.name,
        contact_phone=contact.mobile if phone == "mobile" else contact.phone,
        legal_rep=legal_rep,
        unit_name=form.lead_unit_name,
        date_text=date_text,
        date_iso=date_iso,
        seal=seal,
    )


class Builder:
    """Shared steps for one submission: identities, codes and narrative from its own seed."""

    def __init__(self, key: str):
        self.key = key
        self.rng = _rng(key, "data")
        self.people = Identities(_rng(key, "people"))

    def uscc(self, authority: str, division: str, prefix: str = "") -> str:
        return make_uscc(self.rng, authority, division, prefix)

    def enterprise_code(self, division: str) -> str:
        return self.uscc("91", division, "MA1")

    def sections(
        self, unit: str, profile: Profile, spec: NarrativeSpec | None = None, **fill
    ) -> dict[str, list[str]]:
        return compose(
            f"{SEED}:{self.key}:narrative", profile, spec or NarrativeSpec(), {"unit": unit, **fill}
        )

    def form(self, **kw) -> FormData:
        kw.setdefault("unit_nature_other", None)
        kw.setdefault("joint_units", [])
        return FormData(**kw)


# --- the submissions ------------------------------------------------------------------------------
def s01() -> Submission:
    b = Builder("s01")
    unit, scenario = "上海臻图智造科技有限公司", "白车身焊装产线数字孪生"
    profile = Profile(
        highlights=[
            "建设焊装产线实时孪生系统，接入焊接机器人和夹具的运行数据，在三维场景中实时呈现焊接节拍、电流电压和焊点质量状态。",
            "建设焊点质量追溯模块，将每一个焊点的工艺参数与车身编号关联，实现质量问题的秒级定位。",
            "建设新车型虚拟调试环境，在虚拟空间中完成机器人轨迹规划和干涉检查，减少现场停线调试时间。",
        ],
        track="工业",
        obj="白车身焊装产线",
        site="嘉定区安亭镇",
        users="一线操作工和工艺工程师约600人",
        pain="焊点质量追溯难、车型换型调试周期长、专家现场支持不及时",
        metric="车型换型调试周期缩短30%，焊点缺陷率降低20%",
        partners=["上海交联工业软件有限公司", "上海沪工视觉检测技术有限公司"],
        total=2860,
        months=18,
        founded=2015,
        staff=236,
        rnd_staff=142,
        patents=31,
        copyrights=67,
    )
    spec = NarrativeSpec(windows={"lead_unit_intro": (370, 400)})
    form = b.form(
        lead_unit_name=unit,
        lead_unit_code=b.enterprise_code("310114"),
        scenario_name=scenario,
        directions=["元宇宙+产线"],
        address="上海市嘉定区安亭镇墨玉南路888号",
        leader=b.people.person("总经理", "zhentu-tech.com", fax=True),
        contact=b.people.person("解决方案部经理", "zhentu-tech.com"),
        unit_natures=["民营企业"],
        joint_units=[
            JointUnit(
                "上海交联工业软件有限公司", "民营企业", "工业软件集成与数据中台", b.enterprise_code("310115")
            ),
        ],
        sections=b.sections(unit, profile, spec, short="公司", district="嘉定区"),
        hints_kept={"lead_unit_intro"},
        direction_encoding="glyph",
        nature_encoding="glyph",
    )
    letter = _letter(form, "2023年11月 8日", "2023-11-08", "floating", legal_rep="陈立新")
    return Submission(
        id=f"{unit}-{scenario}",
        description=(
            "Clean industrial submission: DOCX form with plain ☑/□ glyphs, intro close to its 400-字 limit "
            "with the printed hint left above it; DOCX letter with a floating seal; .DS_Store ignored."
        ),
        container="folder",
        files=_files(
            (FORM_DOCX, "form", "docx", "form_docx"),
            (LETTER_DOCX, "letter", "docx", "letter_docx"),
            (".DS_Store", "unknown", "", "ds_store", False),
        ),
        form=form,
        letter=letter,
        rules=[],
        profile=profile,
    )


def s02() -> Submission:
    b = Builder("s02")
    unit, scenario = "上海浦江数字文博科技有限公司", "老城厢沉浸式数字文化体验空间"
    profile = Profile(
        highlights=[
            "在老城厢历史风貌区选取5处节点，运用裸眼3D和全息投影再现明清时期的城厢街巷风貌。",
            "开发“城厢寻踪”沉浸式互动剧本，游客通过手机AR完成线索收集和剧情解锁。",
            "建设老城厢数字记忆库，对老建筑、老照片和口述历史进行数字化整理和展示。",
        ],
        track="文旅",
        obj="老城厢历史风貌区",
        site="黄浦区老城厢",
        users="市民游客和中小学研学团队",
        pain="展示手段单一、游客停留时间短、夜间消费场景不足",
        metric="游客平均停留时间延长至2小时以上",
        partners=["上海光影叙事数字科技有限公司", "上海城市记忆影像档案馆"],
        total=1980,
        months=15,
        founded=2018,
        staff=96,
        rnd_staff=58,
        patents=12,
        copyrights=45,
    )
    form = b.form(
        lead_unit_name=unit,
        lead_unit_code=b.enterprise_code("310101"),
        scenario_name=scenario,
        directions=["元宇宙+数字文化"],
        address="上海市黄浦区方浜中路269号",
        leader=b.people.person("董事长", "pjwenbo.cn"),
        contact=b.people.person("运营总监", "pjwenbo.cn", phone=False),
        unit_natures=["民营企业"],
        sections=b.sections(unit, profile, NarrativeSpec(overview_style=1), short="公司", district="黄浦区"),
        direction_encoding="sym",
        nature_encoding="glyph",
    )
    letter = _letter(form, "二〇二三年十一月十日", "2023-11-10", "scan", legal_rep="顾国华")
    return Submission(
        id=f"{unit}-{scenario}",
        description=(
            "Clean culture/tourism submission, all PDF: the form exported by LibreOffice (Wingdings <w:sym> "
            "direction boxes come out as OpenSymbol private-use chars U+F0FE/U+F0A8, the nature as ☑/□), the letter a scanned image-only PDF with a red "
            "seal and a date in Chinese numerals (needs OCR)."
        ),
        container="folder",
        files=_files(
            ("附件1-需求征集表.pdf", "form", "pdf", "form_pdf"),
            ("附件2-建设承诺书（盖章扫描件）.pdf", "letter", "pdf", "letter_scan"),
        ),
        form=form,
        letter=letter,
        rules=[],
        profile=profile,
    )


def s03() -> Submission:
    b = Builder("s03")
    unit, scenario = "上海市临江人民医院", "混合现实手术规划与术中导航"
    profile = Profile(
        highlights=[
            "建设术前三维重建工作站，将患者CT、MRI影像融合重建为可交互的三维模型，支持病灶、血管和神经的分层显示。",
            "建设术中混合现实导航系统，通过光学定位实现虚拟模型与患者解剖结构的精准配准，配准误差控制在2毫米以内。",
            "将典型手术规划过程沉淀为病例资源库，供年轻医生观摩和复盘。",
        ],
        track="医疗",
        obj="神经外科和骨科手术诊疗流程",
        site="浦东新区",
        users="临床医生和手术患者",
        pain="复杂病灶空间关系难以判断、术前沟通效率低、手术规划依赖个人经验",
        metric="复杂手术术前规划时间缩短40%",
        partners=["上海瑞影医疗科技有限公司", "上海申医数字技术有限公司"],
        total=3200,
        months=24,
        unit_kind="hospital",
        founded=1952,
        staff=2860,
        rnd_staff=46,
        patents=58,
    )
    spec = NarrativeSpec(windows={"existing_foundation": (470, 500)}, overview_style=2)
    form = b.form(
        lead_unit_name=unit,
        lead_unit_code=b.uscc("12", "310115"),
        scenario_name=scenario,
        directions=["元宇宙+临床诊疗"],
        address="上海市浦东新区临江路1200号",
        leader=b.people.person("副院长", "ljhospital.org.cn", fax=True),
        contact=b.people.person("信息科科长", "ljhospital.org.cn", fax=True),
        unit_natures=["事业单位"],
        joint_units=[
            JointUnit(
                "上海瑞影医疗科技有限公司",
                "民营企业",
                "医学影像三维重建与手术导航算法",
                b.enterprise_code("310112"),
            )
        ],
        sections=b.sections(unit, profile, spec, short="医院", district="浦东新区"),
        hints_kept={s.key for s in rules.sections()},
        direction_encoding="sym",
        nature_encoding="sym_x",
    )
    letter = _letter(form, "2023年10月27日", "2023-10-27", "inline", legal_rep="施振宇", phone="phone")
    return Submission(
        id=f"{unit}-{scenario}",
        description=(
            "Clean medical submission from a hospital (事业单位, code 12…): Wingdings <w:sym> boxes (F0FE/F0A8, "
            "F078 for the nature), every printed hint left in place, 已有基础 close to 500 字; files in a nested "
            "folder; letter with an inline seal; Thumbs.db ignored."
        ),
        container="folder",
        files=_files(
            ("申报材料/附件1 需求征集表.docx", "form", "docx", "form_docx"),
            ("申报材料/附件2 承诺书（盖章）.docx", "letter", "docx", "letter_docx"),
            ("申报材料/Thumbs.db", "unknown", "", "thumbs_db", False),
        ),
        form=form,
        letter=letter,
        rules=[],
        profile=profile,
    )


def s04() -> Submission:
    b = Builder("s04")
    unit, scenario = "上海滨海理工大学", "跨校区沉浸式虚拟智慧课堂"
    profile = Profile(
        highlights=[
            "在浦东和奉贤两个校区各改造4间虚拟智慧教室，配置全景摄像、空间音频和全息显示终端，实现两地师生“同堂上课”。",
            "建设虚拟智慧课堂管控平台，支持教师一键切换授课模式，实时查看两地学生的互动情况。",
            "面向通识课程开发沉浸式教学资源，首批覆盖中国近现代史、工程伦理等课程。",
        ],
        track="教育",
        obj="跨校区通识课程教学",
        site="浦东新区和奉贤区两个校区",
        users="全校本科生和授课教师",
        pain="跨校区上课往返耗时、优质课程资源分布不均、课堂互动不足",
        metric="跨校区同步课堂覆盖率达到80%",
        partners=["上海知行在线教育科技有限公司", "上海云屏数字科技有限公司"],
        total=2450,
        months=18,
        unit_kind="university",
        founded=1958,
        staff=1320,
        rnd_staff=38,
        patents=214,
    )
    org_code = make_org_code(b.rng, "")
    form = b.form(
        lead_unit_name=unit,
        lead_unit_code=b.uscc("12", "310000"),
        scenario_name=scenario,
        directions=["元宇宙+虚拟智慧课堂"],
        address="上海市浦东新区海港大道1550号",
        leader=b.people.person("副校长", "bhut.edu.cn", fax=True),
        contact=b.people.person("信息化办公室主任", "bhut.edu.cn"),
        unit_natures=["事业单位"],
        joint_units=[
            JointUnit(
                "上海云屏数字科技有限公司", "民营企业", "云渲染与轻量化XR终端", b.enterprise_code("310120")
            ),
            JointUnit(
                "上海市奉贤区教育信息中心", "事业单位", "区域教育云平台运营", f"{org_code[:8]}-{org_code[8]}"
            ),
        ],
        sections=b.sections(
            unit,
            profile,
            NarrativeSpec(windows={"scenario_overview": (1120, 1300)}),
            short="学校",
            district="浦东新区",
        ),
        hints_kept={"scenario_overview", "requirement_analysis"},
        direction_encoding="sdt",
        nature_encoding="sdt",
    )
    letter = _letter(form, "二〇二三年十月三十日", "2023-10-30", "inline", legal_rep=None)
    return Submission(
        id=f"{unit}-{scenario}",
        description=(
            "Clean education submission from a university: ONE DOCX holding both attachments (form, page "
            "break, letter); w14:checkbox content controls; a joint unit with a 9-char organisation code "
            "written with a hyphen; letter dated in Chinese numerals, inline seal."
        ),
        container="folder",
        files=_files(("上海滨海理工大学-附件1及附件2.docx", "both", "docx", "both_docx")),
        form=form,
        letter=letter,
        rules=[],
        profile=profile,
    )


def s05() -> Submission:
    b = Builder("s05")
    unit, scenario = "上海申矽智能装备有限公司", "半导体设备总装工厂级元宇宙平台"
    profile = Profile(
        highlights=[
            "建设工厂级数字孪生平台，覆盖总装、调试、洁净间和仓储等区域，实时映射物料、工单和设备状态。",
            "建设整机虚拟装配系统，对刻蚀和薄膜设备的上千个零配件进行装配顺序仿真和干涉检查。",
            "建设远程调试与售后服务中心，工程师可通过MR头显远程指导客户现场完成设备调试。",
        ],
        track="工业",
        obj="半导体设备总装工厂",
        site="浦东新区临港新片区",
        users="装配、调试和售后工程师",
        pain="设备结构复杂、装配工序多、跨地域专家协同困难",
        metric="整机装配一次合格率提升至98%以上",
        partners=["上海交联工业软件有限公司", "上海移动通信工程有限公司"],
        total=4600,
        months=24,
        founded=2012,
        staff=820,
        rnd_staff=310,
        patents=126,
        copyrights=58,
    )
    form = b.form(
        lead_unit_name=unit,
        lead_unit_code=b.uscc("91", "310115"),
        scenario_name=scenario,
        directions=["元宇宙+工厂"],
        address="上海市浦东新区临港新片区云鹃路318号",
        leader=b.people.person("副总经理", "shenxi-equip.com", fax=True, style=1),
        contact=b.people.person("数字化部经理", "shenxi-equip.com", style=1),
        unit_natures=["国有企业"],
        sections=b.sections(unit, profile, NarrativeSpec(), short="公司", district="浦东新区"),
        direction_encoding="formfield",
        nature_encoding="formfield",
    )
    letter = _letter(form, "2023年11月6日", "2023-11-06", "inline", legal_rep="金建国", bracket=False)
    top = "半导体设备总装工厂级元宇宙平台申报材料"
    return Submission(
        id=f"{unit}-{scenario}",
        description=(
            "Clean industrial submission in a .zip made on Chinese Windows: member names GBK-encoded without "
            "the UTF-8 flag, a nested folder; legacy FORMCHECKBOX fields (w:checked); letter as a text PDF "
            "exported by LibreOffice with the seal image; phone with extension."
        ),
        container="zip_gbk",
        files=_files(
            (f"{top}/附件1-需求征集表.docx", "form", "docx", "form_docx"),
            (f"{top}/盖章件/附件2-建设承诺书.pdf", "letter", "pdf", "letter_pdf"),
        ),
        form=form,
        letter=letter,
        rules=[],
        profile=profile,
    )


def s06() -> Submission:
    b = Builder("s06")
    unit, scenario = "上海市元宇宙文化创意促进会", "海派非遗数字艺术品创作与展示平台"
    profile = Profile(
        highlights=[
            "为顾绣、海派剪纸、石库门营造技艺等非遗项目建立高精度数字档案，形成可授权使用的数字素材库。",
            "建设非遗数字艺术品创作工坊，为传承人和数字艺术家提供AIGC辅助创作和三维建模工具。",
            "建设数字艺术品展示与登记平台，基于区块链对作品进行确权登记，支持线上线下联动展出。",
        ],
        track="文旅",
        obj="海派非遗项目",
        site="静安区",
        users="非遗传承人、数字艺术家和观众",
        pain="非遗作品数字化程度低、传播渠道有限、创作者权益难以保障",
        metric="上线数字艺术作品不少于500件",
        partners=["上海浦江数字文博科技有限公司", "上海链艺数字科技有限公司"],
        total=1260,
        months=12,
        unit_kind="association",
        founded=2021,
        staff=14,
        rnd_staff=35,
    )
    form = b.form(
        lead_unit_name=unit,
        lead_unit_code=b.uscc("51", "310000", "MJ"),
        scenario_name=scenario,
        directions=["元宇宙+数字艺术品"],
        address="上海市静安区延安中路1000号",
        leader=b.people.person("秘书长", "163.com"),
        contact=b.people.person("副秘书长", "163.com", phone=False),
        unit_natures=["社会团体"],
        sections=b.sections(unit, profile, NarrativeSpec(), short="促进会", district="静安区"),
        hints_kept={"funding"},
        direction_encoding="msgothic",
        nature_encoding="segoe",
    )
    letter = _letter(form, "2023年11月3日", "2023-11-03", "floating", legal_rep="姚海燕")
    return Submission(
        id=f"{unit}-{scenario}",
        description=(
            "Clean culture/tourism submission from a social organisation (code 51…), delivered as two LOOSE "
            "files at the top of the batch; ☒/☐ in MS Gothic for the directions, ✔/☐ in Segoe UI Symbol for "
            "the nature; letter with a floating seal. Expected id = lead_unit_name-scenario_name from the form."
        ),
        container="loose",
        files=_files(
            ("附件1-需求征集表（上海市元宇宙文化创意促进会）.docx", "form", "docx", "form_docx"),
            ("附件2-建设承诺书（上海市元宇宙文化创意促进会）.docx", "letter", "docx", "letter_docx"),
        ),
        form=form,
        letter=letter,
        rules=[],
        profile=profile,
    )


def s07() -> Submission:
    b = Builder("s07")
    unit, scenario = "北京云镜数创科技有限公司", "临港智能制造园区元宇宙运营平台"
    profile = Profile(
        highlights=[
            "建设园区级数字孪生底座，对园区道路、厂房、能源管网和安防设施进行统一建模，实时映射运行状态。",
            "建设园区虚拟招商展示中心，意向企业可远程“云踏勘”园区地块和标准厂房。",
            "建设园区能耗与安全综合监测系统，对重点企业用能和危化品存储进行实时感知和预警。",
        ],
        track="工业",
        obj="临港智能制造园区",
        site="浦东新区临港新片区",
        users="园区管理方和入驻企业",
        pain="园区设施分散、能耗和安防数据割裂、招商展示手段有限",
        metric="园区运营响应时间缩短50%",
        partners=["上海临港园区数字运营有限公司"],
        total=3500,
        months=18,
        founded=2014,
        staff=410,
        rnd_staff=260,
        patents=44,
        copyrights=120,
    )
    form = b.form(
        lead_unit_name=unit,
        lead_unit_code=b.enterprise_code("110108"),
        scenario_name=scenario,
        directions=["元宇宙+工业园区"],
        address="上海市浦东新区临港新片区环湖西二路888号",
        leader=b.people.person("华东区总经理", "yunjing-tech.cn"),
        contact=b.people.person("项目经理", "yunjing-tech.cn"),
        unit_natures=["民营企业"],
        sections=b.sections(unit, profile, NarrativeSpec(), short="公司", city="北京市", district="海淀区"),
        direction_encoding="wingdings2",
        nature_encoding="wingdings2",
    )
    letter = _letter(form, "2023年11月9日", "2023-11-09", None, legal_rep="杨振宇")
    return Submission(
        id=f"{unit}-{scenario}",
        description=(
            "Industrial submission from a Beijing company: a valid code with division 110108 "
            "(CODE_NOT_SHANGHAI); the form is a legacy .doc converted by LibreOffice from a DOCX with "
            "Wingdings 2 R/£ boxes; the DOCX letter has no seal."
        ),
        container="folder",
        files=_files(
            ("附件1-需求征集表.doc", "form", "doc", "form_doc"),
            (LETTER_DOCX, "letter", "docx", "letter_docx"),
        ),
        form=form,
        letter=letter,
        rules=["CODE_NOT_SHANGHAI", "SEAL_MISSING"],
        profile=profile,
    )


def s08() -> Submission:
    b = Builder("s08")
    unit, scenario = "上海市西郊康复医院", "康复患者远程健康管理元宇宙服务"
    profile = Profile(
        highlights=[
            "建设居家康复虚拟训练系统，患者在家通过体感终端完成康复动作训练，系统实时纠正动作并记录训练情况。",
            "建设康复医生远程指导平台，医生可在虚拟诊室中与患者面对面沟通，调整康复方案。",
            "建设康复患者健康档案，与社区卫生服务中心共享随访信息，形成医院—社区—家庭联动的康复服务链。",
        ],
        track="医疗",
        obj="康复患者院外随访和健康管理",
        site="闵行区",
        users="出院康复患者和社区医生",
        pain="出院患者随访依从性差、康复训练缺乏专业指导、社区医疗资源不足",
        metric="康复患者随访率提高到90%以上",
        partners=["上海康程数字健康科技有限公司"],
        total=1680,
        months=18,
        unit_kind="hospital",
        founded=1978,
        staff=920,
        rnd_staff=22,
        patents=16,
    )
    form = b.form(
        lead_unit_name=unit,
        lead_unit_code=b.uscc("12", "310112"),
        scenario_name=scenario,
        directions=["元宇宙+远程医疗", "元宇宙+健康管理"],
        address="上海市闵行区虹梅南路3860号",
        leader=b.people.person("院长", "xjkf-hospital.cn"),
        contact=b.people.person("医务科副科长", "xjkf-hospital.cn"),
        unit_natures=["民营企业"],
        sections=b.sections(unit, profile, NarrativeSpec(), short="医院", district="闵行区"),
        direction_encoding="wingdings2_s",
        nature_encoding="wingdings2",
    )
    letter = _letter(form, "2023年11月20日", "2023-11-20", "inline", legal_rep="钱志强")
    return Submission(
        id=f"{unit}-{scenario}",
        description=(
            "Medical submission: two directions of the same track checked (DIRECTION_MULTIPLE), a 事业单位 "
            "code 12… with 民营企业 checked (UNIT_NATURE_CODE_MISMATCH), letter dated 2023-11-20 "
            "(LETTER_DATE_OUT_OF_WINDOW); Wingdings 2 S (boxed cross) / £ boxes."
        ),
        container="folder",
        files=_files(
            (FORM_DOCX, "form", "docx", "form_docx"), (LETTER_DOCX, "letter", "docx", "letter_docx")
        ),
        form=form,
        letter=letter,
        rules=["DIRECTION_MULTIPLE", "LETTER_DATE_OUT_OF_WINDOW", "UNIT_NATURE_CODE_MISMATCH"],
        profile=profile,
    )


def s09() -> Submission:
    b = Builder("s09")
    unit, scenario = "上海云游天下旅游发展有限公司", "一江一河虚实融合智慧游览线路"
    profile = Profile(
        highlights=[
            "串联外滩、北外滩、苏州河沿岸等10处滨水节点，打造可互动的虚实融合游览线路。",
            "开发AR实景导览小程序，游客在滨水步道上即可看到历史建筑的今昔对比和虚拟讲解员。",
            "建设游船沉浸式夜游项目，在游船舱内通过环幕投影呈现两岸历史变迁。",
        ],
        track="文旅",
        obj="黄浦江和苏州河沿岸景点",
        site="黄浦区和虹口区滨水区域",
        users="中外游客和市民",
        pain="滨水景点串联不足、讲解服务覆盖有限、夜游产品同质化",
        metric="线路游客满意度达到95%以上",
        partners=["上海光影叙事数字科技有限公司", "上海浦江游览数字服务有限公司"],
        total=2200,
        months=15,
        founded=2017,
        staff=150,
        rnd_staff=48,
        patents=6,
        copyrights=33,
    )
    contact = b.people.person("市场部经理", "yunyoutrip.com")
    contact.email = contact.email.replace(".com", ",com")
    form = b.form(
        lead_unit_name=unit,
        lead_unit_code=b.enterprise_code("310109"),
        scenario_name=scenario,
        directions=[],
        address="上海市虹口区东大名路501号",
        leader=b.people.person("总经理", "yunyoutrip.com"),
        contact=contact,
        unit_natures=["民营企业"],
        sections=b.sections(unit, profile, NarrativeSpec(), short="公司", district="虹口区"),
        direction_encoding="sym",
        nature_encoding="sym_x",
        label_variants=True,
    )
    letter = _letter(form, "2023年11月13日", "2023-11-13", "inline", legal_rep="刘洋")
    return Submission(
        id=f"{unit}-{scenario}",
        description=(
            "Culture/tourism submission with label variants (姓  名, 单 位 性 质, Email, ／): no direction "
            "checked (DIRECTION_NONE), contact e-mail with a comma (EMAIL_INVALID), a stray 说明.txt "
            "(FILE_UNSUPPORTED); <w:sym> Wingdings F078 ☒ for the nature."
        ),
        container="folder",
        files=_files(
            (FORM_DOCX, "form", "docx", "form_docx"),
            (LETTER_DOCX, "letter", "docx", "letter_docx"),
            ("说明.txt", "unknown", "txt", "readme_txt"),
        ),
        form=form,
        letter=letter,
        rules=["DIRECTION_NONE", "EMAIL_INVALID", "FILE_UNSUPPORTED"],
        profile=profile,
    )


def s10() -> Submission:
    b = Builder("s10")
    unit, scenario = "上海启明星教育科技有限公司", "初中数学个性化自适应学习元宇宙课堂"
    profile = Profile(
        highlights=[
            "构建初中数学知识图谱，覆盖核心知识点和典型错因，为每名学生生成个性化的学习路径。",
            "建设元宇宙数学实验室，学生可在三维空间中动手操作几何图形，直观理解空间与图形知识。",
            "建设智能答疑数字人，为学生提供课后个性化作业辅导和问答咨询。",
        ],
        track="教育",
        obj="初中数学课程",
        site="徐汇区和闵行区的12所初中",
        users="初中学生和数学教师",
        pain="学生学习水平差异大、统一进度难以兼顾、教师难以及时掌握学情",
        metric="学生数学学业达标率提升10个百分点",
        partners=["上海市徐汇区教育学院附属实验中学"],
        total=1350,
        months=12,
        founded=2019,
        staff=88,
        rnd_staff=52,
        patents=5,
        copyrights=41,
    )
    leader = b.people.person("总经理", "qmxedu.com")
    leader.mobile = leader.mobile[:-1]
    contact = b.people.person("产品总监", "qmxedu.com")
    contact.phone = contact.phone[:8]
    form = b.form(
        lead_unit_name=unit,
        lead_unit_code=b.enterprise_code("310104"),
        scenario_name=scenario,
        directions=["元宇宙+个性化自适应学习"],
        address="上海市徐汇区漕溪北路595号",
        leader=leader,
        contact=contact,
        unit_natures=[],
        sections=b.sections(unit, profile, NarrativeSpec(overview_style=1), short="公司", district="徐汇区"),
        direction_encoding="sdt",
        nature_encoding="sdt",
        reorder_people=True,
    )
    letter = _letter(form, "2023年11月1日", "2023-11-01", "inline", legal_rep="胡一鸣")
    return Submission(
        id=f"{unit}-{scenario}",
        description=(
            "Education submission with the 负责人/联系人 sub-rows reordered (姓名|职务 / 手机|电话 / "
            "E-mail|传真): no unit nature checked (UNIT_NATURE_NONE), a 10-digit leader mobile "
            "(MOBILE_INVALID), a truncated contact landline (PHONE_INVALID); content-control checkboxes."
        ),
        container="folder",
        files=_files(
            (FORM_DOCX, "form", "docx", "form_docx"), (LETTER_DOCX, "letter", "docx", "letter_docx")
        ),
        form=form,
        letter=letter,
        rules=["MOBILE_INVALID", "PHONE_INVALID", "UNIT_NATURE_NONE"],
        profile=profile,
    )


def s11() -> Submission:
    b = Builder("s11")
    unit, scenario = "上海江南海工装备有限公司", "船舶分段制造工厂元宇宙协同平台"
    profile = Profile(
        highlights=[
            "建设分段制造数字孪生车间，实时映射分段建造进度、胎架状态和吊运作业。",
            "建设焊接变形仿真与预测系统，在虚拟空间中预演焊接顺序，提前采取反变形措施。",
            "建设分段精度三维检测系统，利用激光扫描结果与设计模型比对，实现精度问题的快速定位。",
        ],
        track="工业",
        obj="船舶分段制造工厂",
        site="崇明区长兴岛",
        users="分段制造、焊接和质检人员",
        pain="分段结构复杂、焊接变形难控制、多工种协同效率低",
        metric="分段制造周期缩短15%",
        partners=["上海海工数字技术有限公司", "上海长兴岛智能焊接研究院"],
        total=5200,
        months=24,
        founded=2009,
        staff=2150,
        rnd_staff=380,
        patents=205,
        copyrights=36,
    )
    joint = [
        JointUnit(
            "上海海工数字技术有限公司", "国有企业", "船舶工业软件与数字孪生", b.enterprise_code("310151")
        ),
        JointUnit("上海长兴岛智能焊接研究院", "事业单位", "焊接工艺仿真", b.uscc("12", "310151")),
        JointUnit(
            "上海衡准检测技术有限公司",
            "民营企业",
            "无损检测与视觉质检",
            break_check_char(b.enterprise_code("310113")),
        ),
        JointUnit("上海移动通信工程有限公司", "国有企业", "5G专网建设与运维", b.uscc("91", "310000")),
    ]
    form = b.form(
        lead_unit_name=unit,
        lead_unit_code=b.uscc("91", "310151"),
        scenario_name=scenario,
        directions=["元宇宙+工厂"],
        address="上海市崇明区长兴镇潘园公路1988号",
        leader=b.people.person("总工程师", "jnhg.com.cn", fax=True),
        contact=b.people.person("信息中心主任", "jnhg.com.cn", fax=True),
        unit_natures=["国有企业", "民营企业"],
        joint_units=joint,
        sections=b.sections(unit, profile, NarrativeSpec(), short="公司", district="崇明区"),
        direction_encoding="formfield_default",
        nature_encoding="formfield_default",
    )
    letter = _letter(form, "2023年11月14日", "2023-11-14", "inline", legal_rep="沈建国")
    return Submission(
        id=f"{unit}-{scenario}",
        description=(
            "Industrial submission: FORMCHECKBOX fields checked via w:default=1 without w:checked; two natures "
            "checked (UNIT_NATURE_MULTIPLE); four joint units in an added row (JOINT_UNITS_TOO_MANY), the "
            "third with a wrong check digit (CODE_INVALID, joint_units[2].code); letter as an exported PDF."
        ),
        container="folder",
        files=_files(
            (FORM_DOCX, "form", "docx", "form_docx"), ("附件2-建设承诺书.pdf", "letter", "pdf", "letter_pdf")
        ),
        form=form,
        letter=letter,
        rules=["CODE_INVALID", "JOINT_UNITS_TOO_MANY", "UNIT_NATURE_MULTIPLE"],
        profile=profile,
    )


def s12() -> Submission:
    b = Builder("s12")
    unit, scenario = "上海星河演艺文化合伙企业（有限合伙）", "运河古镇虚拟演艺沉浸式夜游"
    profile = Profile(
        highlights=[
            "打造以运河文化为主题的虚拟演艺剧目，真人演员与虚拟角色同台演出，游客可参与剧情互动。",
            "建设虚拟演艺制播平台，支持动作捕捉、实时渲染和多机位直播，实现线下演出与线上演出同步进行。",
            "在古镇河道沿线布设水幕投影和全息纱幕，形成约1.5公里的沉浸式夜游动线。",
        ],
        track="文旅",
        obj="运河古镇夜间演艺",
        site="苏州市吴中区古镇景区",
        users="周末短途游客",
        pain="夜间演艺内容单一、剧场空间受限、游客复游率低",
        metric="夜游项目游客复游率提升到25%",
        partners=["上海光影叙事数字科技有限公司"],
        total=1560,
        months=12,
        unit_kind="partnership",
        founded=2020,
        staff=42,
        rnd_staff=26,
        patents=8,
        copyrights=22,
    )
    form = b.form(
        lead_unit_name=unit,
        lead_unit_code=b.uscc("91", "310117"),
        scenario_name=scenario,
        directions=["元宇宙+在线演艺"],
        address="江苏省苏州市吴中区木渎镇山塘街88号",
        leader=b.people.person("执行事务合伙人", "xinghe-show.com"),
        contact=b.people.person("制作人", "xinghe-show.com"),
        unit_natures=["其他"],
        unit_nature_other=None,
        sections=b.sections(unit, profile, NarrativeSpec(), short="企业", district="松江区"),
        direction_encoding="wingdings2",
        nature_encoding="wingdings2",
    )
    letter = _letter(
        form,
        "2023年11月7日",
        "2023-11-07",
        "inline",
        legal_rep="蔡文杰",
        scenario_name="古镇夜游元宇宙演艺项目",
    )
    return Submission(
        id=f"{unit}-{scenario}",
        description=(
            "Culture/tourism submission by a partnership, both files text PDFs exported by LibreOffice "
            "(Wingdings 2 R/£ come out as literal R/£): 其他 checked with 请注明 blank "
            "(UNIT_NATURE_OTHER_UNSPECIFIED), scenario located in 苏州 (ADDRESS_NOT_SHANGHAI), the letter "
            "names another scenario (SCENARIO_NAME_MISMATCH)."
        ),
        container="folder",
        files=_files(
            ("附件1-需求征集表.pdf", "form", "pdf", "form_pdf"),
            ("附件2-建设承诺书.pdf", "letter", "pdf", "letter_pdf"),
        ),
        form=form,
        letter=letter,
        rules=["ADDRESS_NOT_SHANGHAI", "SCENARIO_NAME_MISMATCH", "UNIT_NATURE_OTHER_UNSPECIFIED"],
        profile=profile,
    )


def s13() -> Submission:
    b = Builder("s13")
    unit, scenario = "上海瑞影医疗科技有限公司", "智能分诊医疗数字人"
    profile = Profile(
        highlights=[
            "建设智能分诊医疗数字人，基于医学知识库和大模型技术，通过语音对话完成症状询问和科室推荐。",
            "在门诊大厅、自助机和手机端部署数字人服务，支持普通话、上海话和英语交流。",
            "建设分诊质量监测模块，对数字人分诊结果进行抽样复核，持续提升分诊准确率。",
        ],
        track="医疗",
        obj="门诊预检分诊和导诊服务",
        site="长宁区",
        users="门诊患者和分诊护士",
        pain="门诊高峰期分诊压力大、患者挂错号比例高、导诊人力不足",
        metric="患者挂号准确率提升到95%以上",
        partners=["上海市临江人民医院", "上海申医数字技术有限公司"],
        total=1180,
        months=12,
        founded=2016,
        staff=128,
        rnd_staff=84,
        patents=23,
        copyrights=52,
    )
    spec = NarrativeSpec(windows={"existing_foundation": (505, 530)}, empty=("stage_goals",))
    form = b.form(
        lead_unit_name=unit,
        lead_unit_code=b.enterprise_code("310105"),
        scenario_name=scenario,
        directions=["元宇宙+医疗数字人"],
        address="上海市长宁区金钟路968号",
        leader=b.people.person("首席执行官", "ruiying-med.com"),
        contact=b.people.person("市场经理", "ruiying-med.com"),
        unit_natures=["民营企业"],
        sections=b.sections(unit, profile, spec, short="公司", district="长宁区"),
        hints_kept={"stage_goals", "existing_foundation"},
        direction_encoding="glyph_square",
        nature_encoding="glyph_square",
    )
    letter = _letter(form, None, None, "inline", legal_rep="李晓东")
    return Submission(
        id=f"{unit}-{scenario}",
        description=(
            "Medical submission with ■ replacing □: 阶段性目标 holds only the printed hint (SECTION_EMPTY), "
            "已有基础 is over 500 字 after its hint is stripped (SECTION_TOO_LONG), the letter date is left "
            "as '2023年  月   日' (LETTER_DATE_MISSING)."
        ),
        container="folder",
        files=_files(
            (FORM_DOCX, "form", "docx", "form_docx"), (LETTER_DOCX, "letter", "docx", "letter_docx")
        ),
        form=form,
        letter=letter,
        rules=["LETTER_DATE_MISSING", "SECTION_EMPTY", "SECTION_TOO_LONG"],
        profile=profile,
    )


ALTERED_CLAUSE_4 = "承诺根据自身实际情况为“揭榜挂帅”项目提供部分资金支持，财政补助资金到位后再行安排配套资金，在场景建设完成后择机推动应用。"


def s14() -> Submission:
    b = Builder("s14")
    unit, scenario = "上海申江职业技术学院", "城市轨道交通运营虚拟仿真实训基地"
    profile = Profile(
        highlights=[
            "建设城市轨道交通车站和控制中心的三维虚拟环境，还原站厅、站台、车控室等真实场景。",
            "开发大客流组织、信号故障处置和火灾疏散等应急实训项目，学生可在虚拟环境中反复演练。",
            "建设实训考核评价模块，自动记录学生操作步骤和处置时长，生成个人实训报告。",
        ],
        track="教育",
        obj="城市轨道交通运营管理专业实训",
        site="松江区校区",
        users="轨道交通专业学生和专业教师",
        pain="真实线路无法停运供学生练习、应急处置场景难以复现、实训工位不足",
        metric="学生应急处置考核通过率提升到90%",
        partners=["上海城轨运营培训中心"],
        total=980,
        months=12,
        unit_kind="college",
        founded=1984,
        staff=520,
        rnd_staff=24,
        patents=37,
    )
    spec = NarrativeSpec(omit_element="数据流通", omit_topic="拟合作单位")
    clauses = rules.official_clauses()
    clauses[3] = ALTERED_CLAUSE_4
    form = b.form(
        lead_unit_name=unit,
        lead_unit_code=b.uscc("12", "310117"),
        scenario_name=scenario,
        directions=["元宇宙+虚拟仿真实训"],
        address="上海市松江区文汇路1688号",
        leader=b.people.person("院长", "sjvtc.edu.cn"),
        contact=b.people.person("教务处副处长", "sjvtc.edu.cn"),
        unit_natures=["事业单位"],
        sections=b.sections(unit, profile, spec, short="学院", district="松江区"),
        direction_encoding="glyph_tick_after",
        nature_encoding="glyph_tick_in_box",
    )
    letter = _letter(form, "2023年11月2日", "2023-11-02", "inline", legal_rep="周慧琳", clauses=clauses)
    return Submission(
        id=f"{unit}-{scenario}",
        description=(
            "Education submission from a vocational college with □ kept and √ typed after the label "
            "(directions) or right after the box (nature): the narrative never mentions 数据流通 or any of "
            "its synonyms (TECH_ELEMENTS_MISSING), 场景建设概述 has no 拟合作单位 (OVERVIEW_TOPICS_MISSING), "
            "clause 4 of the letter is reworded (LETTER_CLAUSES_ALTERED)."
        ),
        container="folder",
        files=_files(
            (FORM_DOCX, "form", "docx", "form_docx"), (LETTER_DOCX, "letter", "docx", "letter_docx")
        ),
        form=form,
        letter=letter,
        rules=["LETTER_CLAUSES_ALTERED", "OVERVIEW_TOPICS_MISSING", "TECH_ELEMENTS_MISSING"],
        profile=profile,
    )


def s15() -> Submission:
    b = Builder("s15")
    unit, scenario = "上海智愈数字科技有限公司", "智慧病房数字孪生管理平台"
    profile = Profile(
        highlights=[
            "建设智慧病房数字孪生系统，实时映射床位、护理呼叫、输液和生命体征监测状态。",
            "建设护理巡视辅助系统，护士通过移动终端查看患者风险提示，及时处置跌倒、坠床等安全事件。",
            "建设病区管理驾驶舱，为护士长和病区主任提供床位周转和护理工作量分析。",
        ],
        track="医疗",
        obj="住院病区和智慧病房",
        site="杨浦区",
        users="住院患者、护理人员和病区管理者",
        pain="病区床位和护理资源调度不透明、患者安全事件发现滞后",
        metric="护理巡视效率提升30%",
        partners=["上海市临江人民医院"],
        total=1420,
        months=15,
        founded=2018,
        staff=76,
        rnd_staff=49,
        patents=9,
        copyrights=28,
    )
    code = b.enterprise_code("310110")
    contact = b.people.person("项目经理", "zhiyu-digital.com")
    contact.email = None
    shared = b.enterprise_code("310110")
    form = b.form(
        lead_unit_name=unit,
        lead_unit_code=code,
        scenario_name=scenario,
        directions=["元宇宙+产线"],
        address="上海市杨浦区国定东路200号",
        leader=b.people.person("总经理", "zhiyu-digital.com"),
        contact=contact,
        unit_natures=["民营企业"],
        joint_units=[
            JointUnit("上海康护物联科技有限公司", "民营企业", "病房物联网感知终端", shared),
            JointUnit("上海医链数据服务有限公司", "民营企业", "医疗数据治理与隐私计算", shared),
        ],
        sections=b.sections(unit, profile, NarrativeSpec(), short="公司", district="杨浦区"),
        direction_encoding="wingdings_char",
        nature_encoding="wingdings_char",
    )
    letter = _letter(form, "2023年10月31日", "2023-10-31", "floating", legal_rep="孙浩然")
    return Submission(
        id=f"{unit}-{scenario}",
        description=(
            "元宇宙+产线 (industry) checked but the whole narrative is about hospital wards "
            "(DIRECTION_CONTENT_MISMATCH); both joint units carry the same code (JOINT_UNIT_DUPLICATE); the "
            "contact e-mail is blank (FIELD_MISSING); Wingdings þ/¨ characters as boxes."
        ),
        container="folder",
        files=_files(
            (FORM_DOCX, "form", "docx", "form_docx"), (LETTER_DOCX, "letter", "docx", "letter_docx")
        ),
        form=form,
        letter=letter,
        rules=["DIRECTION_CONTENT_MISMATCH", "FIELD_MISSING", "JOINT_UNIT_DUPLICATE"],
        profile=profile,
    )


def s16() -> Submission:
    b = Builder("s16")
    unit, scenario = "上海万象云景数字科技有限公司", "苏州河滨水空间数字孪生导览"
    contact = b.people.person("项目主管", "wxyunjing.com")
    letter = LetterData(
        scenario_name=f"《{scenario}》",
        clauses=rules.official_clauses(),
        contact=contact.name,
        contact_phone=contact.mobile,
        legal_rep="徐俊",
        unit_name=unit,
        date_text="二〇二三年十一月十三日",
        date_iso="2023-11-13",
        seal=None,
    )
    return Submission(
        id=f"{unit}-{scenario}",
        description=(
            "Only the commitment letter, as a scanned image-only PDF with no seal on it: FORM_MISSING and "
            "SEAL_MISSING (needs OCR to read the letter's fields)."
        ),
        container="folder",
        files=_files(("附件2-建设承诺书（扫描件）.pdf", "letter", "pdf", "letter_scan")),
        form=None,
        letter=letter,
        rules=["FORM_MISSING", "SEAL_MISSING"],
        profile=None,
    )


def s17() -> Submission:
    b = Builder("s17")
    unit, scenario = "上海知行在线教育科技有限公司", "双师直播教学元宇宙互动课堂"
    profile = Profile(
        highlights=[
            "建设双师直播互动课堂，市区名师通过虚拟形象授课，郊区学生在虚拟教室中与名师实时互动。",
            "开发英语情景对话虚拟场景，学生可在机场、餐厅、超市等虚拟场景中进行口语练习。",
            "建设课堂互动看板，帮助本校教师了解学生在直播课堂中的参与情况。",
        ],
        track="教育",
        obj="郊区学校英语双师课堂",
        site="金山区和崇明区",
        users="郊区中小学学生和英语教师",
        pain="郊区学校优质师资不足、直播课堂互动性弱、学生注意力难以保持",
        metric="郊区学校英语课堂互动频次提升一倍",
        partners=["上海市金山区教育学院"],
        total=860,
        months=12,
        founded=2015,
        staff=260,
        rnd_staff=95,
        patents=11,
        copyrights=76,
    )
    form = b.form(
        lead_unit_name=unit,
        lead_unit_code=b.enterprise_code("310116"),
        scenario_name=scenario,
        directions=["元宇宙+直播教学"],
        address="上海市金山区龙胜路588号",
        leader=b.people.person("联合创始人", "zhixing-edu.com"),
        contact=b.people.person("政府事务经理", "zhixing-edu.com"),
        unit_natures=["民营企业"],
        sections=b.sections(unit, profile, NarrativeSpec(overview_style=2), short="公司", district="金山区"),
        hints_kept={"timeline"},
        direction_encoding="msgothic",
        nature_encoding="msgothic",
    )
    return Submission(
        id=f"{unit}-{scenario}",
        description="Only the form (a text PDF exported by LibreOffice, MS Gothic ☒/☐): LETTER_MISSING.",
        container="folder",
        files=_files(("附件1-需求征集表.pdf", "form", "pdf", "form_pdf")),
        form=form,
        letter=None,
        rules=["LETTER_MISSING"],
        profile=profile,
    )


def s18() -> Submission:
    b = Builder("s18")
    unit, scenario = "上海幻境互娱文化传媒有限公司", "沉浸式互动影视内容创作平台"
    profile = Profile(
        highlights=[
            "建设虚拟制片棚，配置LED背景墙和动作捕捉系统，支持互动影视内容的实时拍摄和合成。",
            "建设沉浸式内容创作工具链，集成剧本创作、分镜设计、场景生成和互动逻辑编辑等功能。",
            "在西岸剧场打造互动影视体验剧场，观众通过手持终端选择剧情走向。",
        ],
        track="文旅",
        obj="沉浸式互动影视和剧场内容",
        site="徐汇区西岸",
        users="内容创作者和观众",
        pain="沉浸式内容制作成本高、创作工具分散、优质作品供给不足",
        metric="内容制作周期缩短40%",
        partners=["上海光影叙事数字科技有限公司", "上海西岸剧场运营管理有限公司"],
        total=2380,
        months=18,
        founded=2016,
        staff=190,
        rnd_staff=70,
        patents=14,
        copyrights=88,
    )
    form = b.form(
        lead_unit_name=unit,
        lead_unit_code=b.enterprise_code("310104"),
        scenario_name=scenario,
        directions=["元宇宙+内容创作"],
        address="上海市徐汇区龙腾大道2555号",
        leader=b.people.person("创始人、董事长", "huanjing-ent.com"),
        contact=b.people.person("战略发展部总监", "huanjing-ent.com"),
        unit_natures=["民营企业"],
        sections=b.sections(unit, profile, NarrativeSpec(), short="公司", district="徐汇区"),
        direction_encoding="glyph",
        nature_encoding="glyph",
    )
    letter = _letter(form, "2023年11月10日", "2023-11-10", "inline", legal_rep="王思远")
    return Submission(
        id=f"{unit}-{scenario}",
        description=(
            "Complete, otherwise clean culture/tourism submission with two password-protected attachments: a "
            "PDF encrypted with a user password and a DOCX encrypted with msoffcrypto (FILE_ENCRYPTED)."
        ),
        container="folder",
        files=_files(
            (FORM_DOCX, "form", "docx", "form_docx"),
            (LETTER_DOCX, "letter", "docx", "letter_docx"),
            ("营业执照副本.pdf", "unknown", "pdf", "encrypted_pdf"),
            ("场景方案（详细版）.docx", "unknown", "docx", "encrypted_docx"),
        ),
        form=form,
        letter=letter,
        rules=["FILE_ENCRYPTED"],
        profile=profile,
    )


def s19() -> Submission:
    b = Builder("s19")
    unit, scenario = "上海卫数信息技术有限公司", "传染病监测预警元宇宙可视化平台"
    profile = Profile(
        highlights=[
            "建设传染病监测数字孪生沙盘，在三维城市模型上动态呈现病例分布、流调轨迹和重点场所风险等级。",
            "建设多点触发预警模块，汇聚医疗机构、药店和社区哨点的监测信息，实现异常信号的早期发现。",
            "建设应急演练虚拟平台，支持疾控人员开展流调和处置演练。",
        ],
        track="医疗",
        obj="区域传染病监测预警",
        site="松江区",
        users="疾控人员和社区医生",
        pain="多源监测数据分散、疫情态势难以直观呈现、预警响应不及时",
        metric="传染病预警响应时间缩短50%",
        partners=["上海申医数字技术有限公司"],
        total=1750,
        months=18,
        founded=2013,
        staff=310,
        rnd_staff=160,
        patents=19,
        copyrights=94,
    )
    form = b.form(
        lead_unit_name=unit,
        lead_unit_code=b.enterprise_code("310117"),
        scenario_name=scenario,
        directions=["元宇宙+公共卫生"],
        address="上海市松江区新松江路1200号",
        leader=b.people.person("总经理", "weishu-it.com", fax=True, style=2),
        contact=b.people.person("医疗事业部经理", "weishu-it.com", style=2),
        unit_natures=["民营企业"],
        sections=b.sections(unit, profile, NarrativeSpec(overview_style=1), short="公司", district="松江区"),
        direction_encoding="sym",
        nature_encoding="sym",
    )
    letter = _letter(form, "2023年11月 6日", "2023-11-06", "floating", legal_rep="赵文杰")
    return Submission(
        id=f"{unit}-{scenario}",
        description=(
            "Complete, otherwise clean medical submission with two broken extra files: a truncated DOCX and a "
            "'.pdf' that is really a text file (FILE_UNREADABLE); +86/(021) number styles."
        ),
        container="folder",
        files=_files(
            (FORM_DOCX, "form", "docx", "form_docx"),
            (LETTER_DOCX, "letter", "docx", "letter_docx"),
            ("附件1-需求征集表（备份）.docx", "unknown", "docx", "truncated_docx"),
            ("补充材料.pdf", "unknown", "pdf", "fake_pdf"),
        ),
        form=form,
        letter=letter,
        rules=["FILE_UNREADABLE"],
        profile=profile,
    )


DUPLICATE_UNIT = "上海学链智能科技有限公司"
DUPLICATE_SCENARIO = "中小学学情评价元宇宙平台"


def _duplicate(key: str, revision: int) -> tuple[Builder, FormData, Profile]:
    b = Builder(key)
    unit = DUPLICATE_UNIT
    code = make_uscc(_rng("duplicate", "code"), "91", "310110", "MA1")
    profile = Profile(
        highlights={
            1: [
                "建设过程性学情采集系统，覆盖课堂互动、作业、实验和体育锻炼等场景。",
                "建设学生成长数字画像，以可视化方式展示学生的知识掌握、能力发展和学习习惯。",
                "基于区块链技术记录学生学习成果，保证评价结果可信、可追溯。",
            ],
            2: [
                "建设区域学情评价中枢，统一接入区内中小学的课堂、作业和考试信息。",
                "在虚拟学习空间中设置学科探究任务，通过任务完成过程评价学生的综合素养。",
                "为教研员提供区域学情分析报告，辅助开展精准教研和教学改进。",
            ],
        }[revision],
        track="教育",
        obj="中小学学情评价" if revision == 1 else "区域中小学过程性学情评价",
        site="杨浦区",
        users="区域内中小学学生、教师和教研员",
        pain="学情数据分散在多个系统、过程性评价缺乏抓手、教师难以开展精准教学",
        metric="教师精准教学覆盖率达到80%" if revision == 1 else "过程性评价数据覆盖全部试点学科",
        partners=["上海市杨浦区教育信息中心", "上海链评数据科技有限公司"],
        total=1500 if revision == 1 else 1650,
        months=18,
        founded=2017,
        staff=120,
        rnd_staff=75,
        patents=7,
        copyrights=39,
    )
    people = Identities(_rng("duplicate", "people"))
    leader = people.person("总经理", "xuelian-ai.com")
    contact = people.person("项目总监", "xuelian-ai.com")
    spec = NarrativeSpec(overview_style=revision)
    form = b.form(
        lead_unit_name=DUPLICATE_UNIT,
        lead_unit_code=code,
        scenario_name=DUPLICATE_SCENARIO,
        directions=["元宇宙+学情评价"],
        address="上海市杨浦区政立路485号",
        leader=leader,
        contact=contact,
        unit_natures=["民营企业"],
        sections=b.sections(unit, profile, spec, short="公司", district="杨浦区"),
        direction_encoding="wingdings2" if revision == 1 else "sdt",
        nature_encoding="glyph" if revision == 1 else "formfield",
    )
    return b, form, profile


def s20() -> Submission:
    _b, form, profile = _duplicate("s20", 1)
    letter = _letter(form, "2023年11月8日", "2023-11-08", "inline", legal_rep="吴嘉懿")
    return Submission(
        id=f"{DUPLICATE_UNIT}-{DUPLICATE_SCENARIO}",
        description=(
            "First of two submissions with the same lead code and scenario name (DUPLICATE_SUBMISSION); "
            "Wingdings 2 boxes for the directions, plain glyphs for the nature."
        ),
        container="folder",
        files=_files(
            (FORM_DOCX, "form", "docx", "form_docx"), (LETTER_DOCX, "letter", "docx", "letter_docx")
        ),
        form=form,
        letter=letter,
        rules=["DUPLICATE_SUBMISSION"],
        profile=profile,
    )


def s21() -> Submission:
    _b, form, profile = _duplicate("s21", 2)
    letter = _letter(form, "2023年11月14日", "2023-11-14", "inline", legal_rep="吴嘉懿")
    return Submission(
        id=f"{DUPLICATE_UNIT}-{DUPLICATE_SCENARIO}（重新提交）",
        description=(
            "The re-submission of the same scenario with a rewritten narrative, as a .zip with UTF-8 member "
            "names: DUPLICATE_SUBMISSION with the folder of the same name; content controls for the "
            "directions, FORMCHECKBOX fields for the nature."
        ),
        container="zip_utf8",
        files=_files(
            ("附件1-需求征集表（修改版）.docx", "form", "docx", "form_docx"),
            (LETTER_DOCX, "letter", "docx", "letter_docx"),
        ),
        form=form,
        letter=letter,
        rules=["DUPLICATE_SUBMISSION"],
        profile=profile,
    )


# --- forms in paragraph layouts (issue #17): 二、具体内容 as headings and paragraphs ---------------
# The generator writes their standard table-layout form; samples/make_layout_samples.py re-renders
# it with tests/invariance/transforms.py (the `layout_*` producers) and writes these submissions.
def s22() -> Submission:
    b = Builder("s22")
    unit, scenario = "上海松湖数智科技有限公司", "G60科创走廊智能制造园区元宇宙运营中心"
    profile = Profile(
        highlights=[
            "建设园区三维数字底座，对园区内28栋厂房、道路管网和能源设施进行高精度建模，并接入实时运行数据。",
            "建设企业服务元宇宙大厅，入驻企业可在虚拟空间中办理入驻、报修和招聘等事项。",
            "建设园区能耗与安全孪生监测系统，对重点用能设备和危化品仓库实施全天候监测和预警。",
        ],
        track="工业",
        obj="智能制造产业园区",
        site="松江区九亭镇",
        users="园区管理人员和入驻企业员工约9000人",
        pain="园区设施数据分散、企业服务线下办理效率低、能耗和安全隐患发现不及时",
        metric="园区综合能耗降低12%，企业服务事项线上办理率达到90%",
        partners=["上海云枢物联科技有限公司", "上海九亭建筑设计研究院有限公司"],
        total=2380,
        months=18,
        founded=2017,
        staff=168,
        rnd_staff=97,
        patents=19,
        copyrights=52,
    )
    form = b.form(
        lead_unit_name=unit,
        lead_unit_code=b.enterprise_code("310117"),
        scenario_name=scenario,
        directions=["元宇宙+工业园区"],
        address="上海市松江区九亭镇涞寅路1299号",
        leader=b.people.person("总经理", "songhu-dt.com", fax=True),
        contact=b.people.person("园区数字化部经理", "songhu-dt.com"),
        unit_natures=["民营企业"],
        joint_units=[
            JointUnit("上海云枢物联科技有限公司", "民营企业", "工业物联网与边缘计算", b.enterprise_code("310117")),
        ],
        sections=b.sections(
            unit, profile, NarrativeSpec(windows={"lead_unit_intro": (240, 300)}), short="公司", district="松江区"
        ),
        hints_kept={"lead_unit_intro", "scenario_overview"},
        direction_encoding="glyph",
        nature_encoding="glyph",
    )
    letter = _letter(form, "2023年11月7日", "2023-11-07", "inline", legal_rep="钱松涛")
    return Submission(
        id=f"{unit}-{scenario}",
        description=(
            "Clean industrial submission whose form is in a paragraph layout: the table holds 一、基本信息 only, "
            "二、具体内容 follows as bold （一）…（七） headings and body paragraphs (two printed hints left "
            "under their headings); DOCX letter with an inline seal."
        ),
        container="folder",
        files=_files(
            (FORM_DOCX, "form", "docx", "layout_t1_docx"), (LETTER_DOCX, "letter", "docx", "letter_docx")
        ),
        form=form,
        letter=letter,
        rules=[],
        profile=profile,
    )


def s23() -> Submission:
    b = Builder("s23")
    unit, scenario = "上海市华泾医院", "沉浸式临床技能虚拟培训中心"
    profile = Profile(
        highlights=[
            "建设临床技能虚拟培训室，配置力反馈模拟器和VR头显，覆盖穿刺、插管和腔镜等20项基本操作。",
            "建设标准化虚拟病人库，基于真实病例生成可对话的虚拟病人，用于问诊和临床思维训练。",
            "建设培训考核评价系统，自动记录学员操作轨迹并给出评分，支撑住院医师规范化培训考核。",
        ],
        track="医疗",
        obj="住院医师和医学生临床技能培训",
        site="徐汇区华泾镇",
        users="住院医师、医学生和带教老师",
        pain="临床操作训练机会少、高风险操作难以反复练习、考核评价主观性强",
        metric="住院医师技能考核通过率提升至95%以上",
        partners=["上海瑞影医疗科技有限公司", "上海医模仿真教育科技有限公司"],
        total=1860,
        months=15,
        unit_kind="hospital",
        founded=1978,
        staff=1650,
        rnd_staff=32,
        patents=41,
    )
    form = b.form(
        lead_unit_name=unit,
        lead_unit_code=b.uscc("12", "310104"),
        scenario_name=scenario,
        directions=["元宇宙+医学教育"],
        address="上海市徐汇区华泾路1055号",
        leader=b.people.person("院长", "huajinghospital.org.cn", fax=True),
        contact=b.people.person("科教科副科长", "huajinghospital.org.cn"),
        unit_natures=["事业单位"],
        sections=b.sections(unit, profile, NarrativeSpec(overview_style=1), short="医院", district="徐汇区"),
        direction_encoding="glyph",
        nature_encoding="glyph",
    )
    letter = _letter(form, "2023年11月2日", "2023-11-02", "floating", legal_rep="沈华清", phone="phone")
    return Submission(
        id=f"{unit}-{scenario}",
        description=(
            "Clean medical submission from a hospital whose form writes 二、具体内容 as Word `Heading 2` "
            "headings followed by body paragraphs (the table holds 一、基本信息 only); DOCX letter, floating seal."
        ),
        container="folder",
        files=_files(
            (FORM_DOCX, "form", "docx", "layout_t2_docx"), (LETTER_DOCX, "letter", "docx", "letter_docx")
        ),
        form=form,
        letter=letter,
        rules=[],
        profile=profile,
    )


def s24() -> Submission:
    b = Builder("s24")
    unit, scenario = "上海驰训教育科技有限公司", "新能源汽车检修虚拟仿真实训平台"
    profile = Profile(
        highlights=[
            "建设新能源汽车高压系统虚拟拆装实训模块，学生可在虚拟环境中反复练习电池包和电机的拆装与检测。",
            "建设故障诊断仿真实训系统，内置120种典型故障案例，训练学生的故障排查能力。",
            "建设实训过程评价系统，记录学生每一步操作并自动生成技能评价报告。",
        ],
        track="教育",
        obj="新能源汽车检修专业实训教学",
        site="奉贤区",
        users="合作职业院校汽车类专业学生和企业在职员工",
        pain="高压部件实训安全风险高、实训设备投入大、故障案例难以复现",
        metric="实训工位利用率提升50%，学生技能证书通过率提升至92%",
        partners=["上海申驰新能源汽车服务有限公司", "上海奉贤中等职业技术学校"],
        total=1420,
        months=18,
        founded=2016,
        staff=142,
        rnd_staff=88,
        patents=11,
        copyrights=63,
    )
    form = b.form(
        lead_unit_name=unit,
        lead_unit_code=b.enterprise_code("310120"),
        scenario_name=scenario,
        directions=["元宇宙+虚拟仿真实训"],
        address="上海市奉贤区望园路2165号",
        leader=b.people.person("总经理", "chixun-edu.com", fax=True),
        contact=b.people.person("职业教育事业部总监", "chixun-edu.com"),
        unit_natures=["民营企业"],
        sections=b.sections(unit, profile, NarrativeSpec(overview_style=2), short="公司", district="奉贤区"),
        hints_kept={"requirement_analysis"},
        direction_encoding="glyph",
        nature_encoding="glyph",
    )
    letter = _letter(form, "2023年11月13日", "2023-11-13", "inline", legal_rep="陆振华")
    return Submission(
        id=f"{unit}-{scenario}",
        description=(
            "Clean education submission from a vocational-training company; the form is a legacy .doc (saved by "
            "LibreOffice) whose 二、具体内容 are numbered headings 一、/1./1、 with the label split over two "
            "lines (two paragraphs or a line break), one printed hint left in place; DOCX letter, inline seal."
        ),
        container="folder",
        files=_files(
            ("附件1-需求征集表.doc", "form", "doc", "layout_t3_doc"), (LETTER_DOCX, "letter", "docx", "letter_docx")
        ),
        form=form,
        letter=letter,
        rules=[],
        profile=profile,
    )


def s25() -> Submission:
    b = Builder("s25")
    unit, scenario = "上海崇明生态文旅发展有限公司", "东滩湿地元宇宙生态研学游"
    profile = Profile(
        highlights=[
            "建设东滩湿地数字孪生底座，融合遥感影像、鸟类监测和水文数据，实时呈现候鸟迁徙和湿地生态变化。",
            "开发“候鸟之旅”AR研学路线，游客在步道沿线通过手机识别物种并完成生态知识闯关。",
            "建设湿地生态科普虚拟展馆，以数字人讲解员带领游客线上游览核心保护区。",
        ],
        track="文旅",
        obj="东滩湿地生态旅游线路",
        site="崇明区东滩",
        users="中小学研学团队、家庭游客和观鸟爱好者",
        pain="核心保护区不能对游客开放、生态科普形式单一、淡季客流不足",
        metric="研学游客年接待量突破20万人次",
        partners=["上海鸟语数字科技有限公司", "上海城市记忆影像档案馆"],
        total=1680,
        months=15,
        founded=2014,
        staff=210,
        rnd_staff=36,
        patents=6,
        copyrights=28,
    )
    form = b.form(
        lead_unit_name=unit,
        lead_unit_code=b.enterprise_code("310151"),
        scenario_name=scenario,
        directions=["元宇宙+智慧旅游"],
        address="上海市崇明区陈家镇东滩大道2088号",
        leader=b.people.person("董事长", "cmeco-travel.com"),
        contact=b.people.person("文旅项目部经理", "cmeco-travel.com"),
        unit_natures=["国有企业"],
        sections=b.sections(unit, profile, NarrativeSpec(), short="公司", district="崇明区"),
        direction_encoding="glyph",
        nature_encoding="glyph",
    )
    letter = _letter(form, "2023年11月9日", "2023-11-09", "inline", legal_rep="黄建东")
    return Submission(
        id=f"{unit}-{scenario}",
        description=(
            "Clean culture/tourism submission, both files PDFs exported by LibreOffice: the form writes each "
            "section as `已有基础：text…` (label and first line on one line, the rest as paragraphs) after a "
            "table that holds 一、基本信息 only; the letter carries its seal image."
        ),
        container="folder",
        files=_files(
            ("附件1-需求征集表.pdf", "form", "pdf", "layout_t5_pdf"),
            ("附件2-建设承诺书.pdf", "letter", "pdf", "letter_pdf"),
        ),
        form=form,
        letter=letter,
        rules=[],
        profile=profile,
    )


# --- scanned submissions (issue #18): both attachments printed, stamped and scanned ---------------
# The generator writes their DOCX as for any other sample; samples/make_scan_samples.py converts
# them with LibreOffice, renders the pages with pdftoppm and degrades them (dpi, grey or colour,
# JPEG, skew, a page turned, a red seal over the unit name and the date, a phone photo). How each
# file is degraded is in make_scan_samples.py (SCANS), keyed by the file's producer.
SCAN_FORM = "附件1-需求征集表（扫描件）.pdf"
SCAN_LETTER = "附件2-建设承诺书（盖章扫描件）.pdf"


def _scan_submission(
    key: str,
    *,
    unit: str,
    scenario: str,
    code: Callable[[Builder], str],
    direction: str,
    address: str,
    nature: str,
    domain: str,
    titles: tuple[str, str],
    profile: Profile,
    short: str,
    district: str,
    date: tuple[str, str],
    legal_rep: str,
    seal: str | None,
    description: str,
    rules_: list[str],
) -> Submission:
    b = Builder(key)
    form = b.form(
        lead_unit_name=unit,
        lead_unit_code=code(b),
        scenario_name=scenario,
        directions=[direction],
        address=address,
        leader=b.people.person(titles[0], domain, fax=True),
        contact=b.people.person(titles[1], domain),
        unit_natures=[nature],
        sections=b.sections(unit, profile, NarrativeSpec(), short=short, district=district),
        direction_encoding="glyph",
        nature_encoding="glyph",
    )
    letter = _letter(form, date[0], date[1], seal, legal_rep=legal_rep)
    return Submission(
        id=f"{unit}-{scenario}",
        description=description,
        container="folder",
        files=_files(
            (SCAN_FORM, "form", "pdf", f"scan_form_{key}"), (SCAN_LETTER, "letter", "pdf", f"scan_letter_{key}")
        ),
        form=form,
        letter=letter,
        rules=rules_,
        profile=profile,
    )


def s26() -> Submission:
    return _scan_submission(
        "s26",
        unit="上海临港重装智造有限公司",
        scenario="海上风电装备总装工厂元宇宙",
        code=lambda b: b.enterprise_code("310115"),
        direction="元宇宙+工厂",
        address="上海市浦东新区临港新片区层林路188号",
        nature="国有企业",
        domain="lg-heavy.com",
        titles=("总经理", "智能制造部部长"),
        profile=Profile(
            highlights=[
                "建设海上风电机组总装工厂三维数字孪生体，覆盖机舱装配、叶片存放和整机测试三大区域。",
                "建设大部件吊装虚拟预演系统，在数字空间中预演吊装路径并校核碰撞风险。",
                "建设质量追溯元宇宙看板，汇聚关键工序的扭矩、焊缝和探伤数据。",
            ],
            track="工业",
            obj="海上风电装备总装工厂",
            site="浦东新区临港新片区",
            users="工厂管理人员、装配技师和质量工程师约1200人",
            pain="大部件吊装风险高、装配质量数据分散、工厂产能调度依赖经验",
            metric="整机装配周期缩短15%，一次交检合格率提升至99%",
            partners=["上海海衡工业软件有限公司", "上海临港智能制造研究院"],
            total=3260,
            months=18,
            founded=2012,
            staff=860,
            rnd_staff=140,
            patents=57,
            copyrights=21,
        ),
        short="公司",
        district="浦东新区",
        date=("2023年11月6日", "2023-11-06"),
        legal_rep="顾海峰",
        seal="scan",
        description=(
            "Clean industrial submission, both attachments scanned: the form at 200 dpi in grey, JPEG quality 50, "
            "each page skewed up to ±3°; the letter at 200 dpi in colour with the red seal stamped over the unit "
            "name and the date."
        ),
        rules_=[],
    )


def s27() -> Submission:
    return _scan_submission(
        "s27",
        unit="上海豫园文韵数字传媒有限公司",
        scenario="海派戏曲数字文化沉浸展演",
        code=lambda b: b.enterprise_code("310101"),
        direction="元宇宙+数字文化",
        address="上海市黄浦区福佑路168号",
        nature="民营企业",
        domain="yuyuan-wenyun.com",
        titles=("董事长", "数字内容中心主任"),
        profile=Profile(
            highlights=[
                "建设海派戏曲数字资源库，对京剧、越剧和沪剧经典剧目进行动作捕捉和高清采集。",
                "打造戏曲虚拟剧场，观众可通过头显进入舞台视角欣赏名家唱段。",
                "开发戏曲数字人讲解员，为青少年观众讲解行当、唱腔和脸谱知识。",
            ],
            track="文旅",
            obj="海派戏曲文化展演空间",
            site="黄浦区豫园地区",
            users="市民游客、戏曲爱好者和中小学生",
            pain="传统戏曲受众老化、经典剧目影像资料保存分散、线下演出场次有限",
            metric="年线上观演人次突破80万",
            partners=["上海梨园影像档案馆", "上海声临数字科技有限公司"],
            total=1260,
            months=15,
            founded=2018,
            staff=96,
            rnd_staff=41,
            patents=4,
            copyrights=67,
        ),
        short="公司",
        district="黄浦区",
        date=("2023年11月10日", "2023-11-10"),
        legal_rep="陈韵之",
        seal="scan",
        description=(
            "Clean culture submission, both attachments scanned at 300 dpi: the form in grey with its second page "
            "turned 90° (sideways) and its fourth upside down (180°), JPEG quality 50; the letter in colour, "
            "sealed over the unit name and the date."
        ),
        rules_=[],
    )


def s28() -> Submission:
    return _scan_submission(
        "s28",
        unit="上海长宁康联互联网医院有限公司",
        scenario="慢病患者元宇宙远程复诊中心",
        code=lambda b: b.enterprise_code("310105"),
        direction="元宇宙+远程医疗",
        address="上海市长宁区仙霞路350号",
        nature="民营企业",
        domain="kanglian-health.com",
        titles=("院长", "信息中心主任"),
        profile=Profile(
            highlights=[
                "建设三维虚拟诊室，患者在家中通过头显或手机与医生面对面复诊。",
                "接入可穿戴设备的血压、血糖和心电数据，在复诊时同步呈现趋势曲线。",
                "建设慢病随访数字人助手，按医嘱提醒患者用药、复查和康复锻炼。",
            ],
            track="医疗",
            obj="慢病远程复诊服务",
            site="长宁区",
            users="高血压、糖尿病等慢病患者约3万人",
            pain="慢病患者往返医院复诊负担重、居家监测数据难以进入诊疗过程",
            metric="慢病患者规律复诊率提升至85%",
            partners=["上海心桥医疗器械有限公司", "上海仙霞社区卫生服务中心"],
            total=980,
            months=12,
            unit_kind="hospital",
            founded=2019,
            staff=230,
            rnd_staff=45,
            patents=9,
        ),
        short="医院",
        district="长宁区",
        date=("2023年11月8日", "2023-11-08"),
        legal_rep="王立群",
        seal="scan",
        description=(
            "Clean medical submission: the form scanned at 150 dpi in colour, JPEG quality 50, skewed; the "
            "sealed letter is a phone photo (perspective, uneven light) put into a PDF."
        ),
        rules_=[],
    )


def s29() -> Submission:
    return _scan_submission(
        "s29",
        unit="上海明德智学教育科技有限公司",
        scenario="高中物理虚拟实验元宇宙课堂",
        code=lambda b: b.enterprise_code("310110"),
        direction="元宇宙+虚拟智慧课堂",
        address="上海市杨浦区国定东路200号",
        nature="民营企业",
        domain="mingde-edu.com",
        titles=("总经理", "产品总监"),
        profile=Profile(
            highlights=[
                "建设高中物理虚拟实验室，覆盖力学、电磁学和光学共48个分组实验。",
                "建设师生同屏的虚拟课堂，教师可在三维场景中演示实验并实时查看各组操作。",
                "建设实验过程评价系统，自动记录学生的操作步骤和数据处理过程。",
            ],
            track="教育",
            obj="高中物理实验教学",
            site="杨浦区",
            users="合作高中的物理教师和学生约6000人",
            pain="实验器材不足、危险实验无法开展、实验过程难以评价",
            metric="学生分组实验开出率达到100%",
            partners=["上海杨浦实验中学", "上海知源仿真软件有限公司"],
            total=860,
            months=12,
            founded=2017,
            staff=120,
            rnd_staff=72,
            patents=7,
            copyrights=58,
        ),
        short="公司",
        district="杨浦区",
        date=("2023年11月14日", "2023-11-14"),
        legal_rep="许明德",
        seal=None,
        description=(
            "Education submission, both attachments scanned: the form at 200 dpi in colour, skewed −2.5° and +1.5°; "
            "the letter at 150 dpi in grey, JPEG quality 50, signed but without a seal (SEAL_MISSING)."
        ),
        rules_=["SEAL_MISSING"],
    )


def s30() -> Submission:
    return _scan_submission(
        "s30",
        unit="上海金山石化智控科技有限公司",
        scenario="精细化工装置产线数字孪生",
        code=lambda b: b.enterprise_code("310116"),
        direction="元宇宙+产线",
        address="上海市金山区卫零路485号",
        nature="国有企业",
        domain="jsshzk.com",
        titles=("总经理", "数字化办公室主任"),
        profile=Profile(
            highlights=[
                "建设精细化工装置的高精度数字孪生模型，接入DCS实时工艺数据。",
                "建设操作员虚拟培训系统，在孪生装置上演练开停车和应急处置。",
                "建设设备预测性维护平台，对机泵和换热器的振动与温度进行趋势预警。",
            ],
            track="工业",
            obj="精细化工生产装置",
            site="金山区",
            users="装置操作员、工艺工程师和设备管理人员约600人",
            pain="装置运行数据利用率低、开停车操作风险高、设备故障发现滞后",
            metric="非计划停车次数降低30%",
            partners=["上海化智工业软件有限公司", "上海金山化工安全技术研究所"],
            total=2150,
            months=18,
            founded=2011,
            staff=420,
            rnd_staff=88,
            patents=33,
            copyrights=19,
        ),
        short="公司",
        district="金山区",
        date=("2023年10月8日", "2023-10-08"),
        legal_rep="沈国栋",
        seal="scan",
        description=(
            "Industrial submission, both attachments scanned at 200 dpi: the form in grey, JPEG quality 50, skewed; "
            "the letter in colour, sealed, dated 2023年10月8日, before the call opened (LETTER_DATE_OUT_OF_WINDOW)."
        ),
        rules_=["LETTER_DATE_OUT_OF_WINDOW"],
    )


def s31() -> Submission:
    return _scan_submission(
        "s31",
        unit="上海静安声光演艺有限公司",
        scenario="苏河湾虚拟演艺沉浸剧场",
        code=lambda b: b.enterprise_code("310106"),
        direction="元宇宙+在线演艺",
        address="上海市静安区北苏州路520号",
        nature="民营企业",
        domain="jingan-shengguang.com",
        titles=("总经理", "演艺运营部经理"),
        profile=Profile(
            highlights=[
                "建设苏河湾沉浸式剧场的虚实融合舞台，以激光投影和空间音频再现老上海码头场景。",
                "开发线上虚拟演出厅，观众以虚拟形象入场并与演员实时互动。",
                "建设演艺内容数字资产库，对原创剧目的舞美、服装和动作进行数字化留存。",
            ],
            track="文旅",
            obj="沉浸式演艺剧场",
            site="静安区苏河湾",
            users="剧场观众、线上观演用户和演艺创作团队",
            pain="线下剧场座位有限、演出内容难以复用、观众互动形式单一",
            metric="年演出场次增加120场，线上观演收入占比达到30%",
            partners=["上海苏河文化发展有限公司", "上海幻声音频技术有限公司"],
            total=1530,
            months=15,
            founded=2015,
            staff=150,
            rnd_staff=38,
            patents=5,
            copyrights=44,
        ),
        short="公司",
        district="静安区",
        date=("2023年11月3日", "2023-11-03"),
        legal_rep="林晓声",
        seal="scan",
        description=(
            "Clean culture submission, both attachments scanned at 150 dpi: the form in grey, JPEG quality 50, "
            "skewed; the letter in colour, sealed over the unit name and the date."
        ),
        rules_=[],
    )


BUILDERS: list[Callable[[], Submission]] = [
    s01,
    s02,
    s03,
    s04,
    s05,
    s06,
    s07,
    s08,
    s09,
    s10,
    s11,
    s12,
    s13,
    s14,
    s15,
    s16,
    s17,
    s18,
    s19,
    s20,
    s21,
    s22,
    s23,
    s24,
    s25,
    s26,
    s27,
    s28,
    s29,
    s30,
    s31,
]


def submissions() -> list[Submission]:
    return [build() for build in BUILDERS]
