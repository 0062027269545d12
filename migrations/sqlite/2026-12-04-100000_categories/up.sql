-- The categories each channel offers (intake, the mailbox, import), in order:
-- one list in the database instead of a list per form, so that the annual
-- report counts one kind of letter under one name.
CREATE TABLE channel_categories (
    channel TEXT NOT NULL REFERENCES channels (code),
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (channel, name)
);

INSERT INTO channel_categories (channel, name, position)
SELECT channels.code, list.name, list.position
FROM channels
CROSS JOIN (
    SELECT '教育' AS name, 1 AS position UNION ALL SELECT '住房', 2 UNION ALL SELECT '物业', 3
    UNION ALL SELECT '社保', 4 UNION ALL SELECT '劳动纠纷', 5 UNION ALL SELECT '医疗', 6
    UNION ALL SELECT '交通', 7 UNION ALL SELECT '环境', 8 UNION ALL SELECT '市容', 9
    UNION ALL SELECT '噪音', 10 UNION ALL SELECT '市场监管', 11 UNION ALL SELECT '民政', 12
    UNION ALL SELECT '农业', 13 UNION ALL SELECT '土地', 14 UNION ALL SELECT '水利', 15
    UNION ALL SELECT '治安', 16 UNION ALL SELECT '户籍', 17 UNION ALL SELECT '发展规划', 18
    UNION ALL SELECT '政务公开', 19 UNION ALL SELECT '其他', 20
) AS list
WHERE channels.code <> 'suggestion';

INSERT INTO channel_categories (channel, name, position)
SELECT code, '人大代表建议', 1 FROM channels WHERE code = 'suggestion'
UNION ALL
SELECT code, '政协委员提案', 2 FROM channels WHERE code = 'suggestion';
