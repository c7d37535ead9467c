"""How Chinese text names a table or a figure: 表 N and 图 N, but not the 表 of 代表 ("represents"), 发表
("published") or 列表 ("list"), nor the 图 of 地图 ("map"), 试图 ("tries to") or 视图 ("view"). Chinese has no
spaces between words, so a reference is told from a word ending in the same character by the character before
it; 附表 and 插图 (an appendix table, an illustration) are references and stay.
"""

from __future__ import annotations

#: Words that end in 表 and do not name a table: 代表 represents, 发表 published, 列表 list, 报表 report,
#: 仪表 gauge, 课表 timetable, 电表 meter, 年表 chronology, 量表 (a questionnaire's) scale.
_NOT_TABLE_BEFORE = "代发列报仪课电年量"
#: Words that end in 图 and do not name a figure: 地图 map, 试图/力图/企图/妄图 tries to, 意图 intent, 视图 view,
#: 蓝图 blueprint, 构图 composition, 版图 territory, 贪图 covets, 宏图 grand plan.
_NOT_FIGURE_BEFORE = "地试力企妄意视蓝构版贪宏"

#: 外表 is "appearance", but 此外 and 另外 ("besides") end in 外 too: "此外表 2 …" is "besides, table 2 …".
_BESIDES = "此另"

#: 表 where it names a table (as a regular-expression fragment; the number follows it).
ZH_TABLE = rf"(?<![{_NOT_TABLE_BEFORE}])(?<!(?<![{_BESIDES}])外)表"
#: 图 where it names a figure (as a regular-expression fragment; the number follows it).
ZH_FIGURE = rf"(?<![{_NOT_FIGURE_BEFORE}])图"
