"""The default task template of a campaign: the assignments of An Khánh's plan 13/KH-UBND (2025),
which the city edits before opening a campaign. Document content in Vietnamese, as the units print it;
it is data the officers edit, not interface text."""

DEFAULT_TASKS: list[dict] = [
    {"agency": "commune_police", "text": "Tham mưu giúp Chủ tịch Ủy ban nhân dân xã thực hiện các biện pháp bảo đảm "
     "tái hòa nhập cộng đồng đối với người được đặc xá trở về địa phương."},
    {"agency": "commune_police", "text": "Chủ động nắm tình hình, điều kiện, hoàn cảnh và tâm tư, nguyện vọng chính "
     "đáng của người được đặc xá để tư vấn, hướng dẫn họ thực hiện kế hoạch tái hòa nhập cộng đồng của bản thân."},
    {"agency": "commune_police", "text": "Lập hồ sơ quản lý, giám sát, giáo dục người được đặc xá; phối hợp với Ủy ban "
     "Mặt trận Tổ quốc xã tham mưu phân công tổ chức, cá nhân trực tiếp quản lý, giám sát, giáo dục, giúp đỡ."},
    {"agency": "commune_police", "text": "Hướng dẫn, giúp đỡ người được đặc xá thực hiện các thủ tục đăng ký cư trú, "
     "đăng ký hộ tịch, cấp căn cước; phối hợp với Ngân hàng Chính sách xã hội lập danh sách, xét duyệt cho vay vốn "
     "theo Quyết định số 22/2023/QĐ-TTg."},
    {"agency": "commune_police", "text": "Kịp thời đề xuất áp dụng biện pháp hỗ trợ, can thiệp, bảo vệ đối với người "
     "chấp hành xong hình phạt tù là trẻ em; xử lý người được đặc xá tái phạm, vi phạm pháp luật, vi phạm nghĩa vụ."},
    {"agency": "commune_police", "text": "Theo định kỳ hoặc khi có yêu cầu, tổng hợp, báo cáo tình hình, kết quả và "
     "đề xuất, kiến nghị về công tác quản lý, giám sát, giáo dục, giúp đỡ người được đặc xá."},
    {"agency": "culture_social", "text": "Chủ trì, phối hợp với Công an xã và các cơ quan, tổ chức, doanh nghiệp, hợp "
     "tác xã hướng nghiệp, tạo việc làm, giới thiệu việc làm cho người được đặc xá về địa phương."},
    {"agency": "culture_social", "text": "Phối hợp thực hiện thủ tục khen thưởng cho tập thể, cá nhân có thành tích "
     "xuất sắc trong công tác đặc xá."},
    {"agency": "public_service_centre", "text": "Đẩy mạnh tuyên truyền về chủ trương, chính sách nhân đạo, khoan hồng "
     "của Đảng, Nhà nước, quyết định đặc xá của Chủ tịch nước và điều kiện vay vốn theo Quyết định số 22/2023/QĐ-TTg."},
    {"agency": "public_service_centre", "text": "Tuyên truyền gương điển hình tốt; xóa bỏ tư tưởng phân biệt, kỳ thị, "
     "xa lánh đối với người được đặc xá."},
    {"agency": "economic", "text": "Hướng dẫn, giúp đỡ người được đặc xá thực hiện các thủ tục về đất đai, "
     "nông nghiệp, môi trường để sớm ổn định cuộc sống."},
    {"agency": "economic", "text": "Bảo đảm kinh phí thực hiện công tác đặc xá, tái hòa nhập cộng đồng của xã theo "
     "quy định."},
    {"agency": "fatherland_front", "text": "Tuyên truyền, phổ biến chủ trương đặc xá; phối hợp với chính quyền thôn "
     "phân công lực lượng tham gia giáo dục, giúp đỡ người được đặc xá; giám sát việc thực hiện công tác đặc xá."},
    {"agency": "village_heads", "text": "Phối hợp tuyên truyền chủ trương, chính sách nhân đạo, khoan hồng của Đảng, "
     "Nhà nước về công tác đặc xá."},
    {"agency": "village_heads", "text": "Phối hợp với Công an xã, Ủy ban Mặt trận Tổ quốc xã trong quản lý, giám sát, "
     "giáo dục, giúp đỡ người được đặc xá; xóa bỏ tư tưởng phân biệt, kỳ thị."},
]

DEFAULT_PURPOSE = (
    "Huy động sức mạnh của hệ thống chính trị tham gia giáo dục, giúp đỡ, xóa bỏ định kiến, kỳ thị đối với người "
    "được đặc xá; phòng ngừa tái phạm tội.\n"
    "Hỗ trợ người được đặc xá tìm kiếm việc làm, ổn định cuộc sống, tái hòa nhập cộng đồng bền vững.\n"
    "Nắm vững số người được đặc xá về địa phương để tổ chức tiếp nhận, quản lý, giám sát, giáo dục kịp thời."
)
DEFAULT_CONTENT = (
    "Quán triệt và triển khai nghiêm túc các văn bản của Chủ tịch nước, Chính phủ, thành phố về công tác đặc xá và "
    "tái hòa nhập cộng đồng, trọng tâm là Nghị định số 49/2020/NĐ-CP và Quyết định số 22/2023/QĐ-TTg.\n"
    "Đẩy mạnh thông tin, tuyên truyền, phổ biến giáo dục pháp luật về tái hòa nhập cộng đồng.\n"
    "Tăng cường kiểm tra, hướng dẫn; chú trọng tư vấn, đào tạo nghề, vay vốn, tìm việc làm; đẩy mạnh xã hội hóa "
    "nguồn lực hỗ trợ người được đặc xá."
)
DEFAULT_RECIPIENTS = (
    "UBND thành phố;\nCông an thành phố (để báo cáo);\nUB MTTQVN xã (phối hợp thực hiện);\n"
    "Công an xã, các phòng chuyên môn (để thực hiện);\nTrưởng các thôn;\nLưu: VT, CAX."
)
